/**
 * A lab cluster on this machine: one private redis-server, N lab instances (each its own
 * process, `--redis` to the one feed), and HAProxy round-robin in front without stickiness.
 * `npm run cluster` (cluster/main.ts), the scale-out scenario and the balancer test all start it here.
 */
import { type ChildServer, startChild } from '../tools/child-process.js';
import { freePort } from './free-port.js';
import { type Balancer, startHaproxy } from './haproxy.js';
import { type RedisProcess, startRedis } from './redis-process.js';

const LISTENING = /listening on (http:\/\/\S+) \(epoch (\w+)\)/;

export interface ClusterOptions {
  instances: number;
  /** The balancer's port (0 = any free one). */
  port?: number;
  /** Extra flags for every instance (server/main.ts), e.g. ['--paused'] or ['--rate', '5']. */
  labArgs?: string[];
  /** Extra environment for every instance. */
  env?: Record<string, string>;
}

export interface Instance {
  name: string;
  port: number;
  server: ChildServer | null;
}

export interface Cluster {
  /** The one URL students open: the balancer. */
  url: string;
  redis: RedisProcess;
  balancer: Balancer;
  instances: Instance[];
  /** SIGKILL one instance, as a crash would: no goodbye to its clients. */
  kill(index: number): Promise<void>;
  /** Start a stopped instance again on its port (the balancer's health check brings it back). */
  revive(index: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(options.instances) || options.instances < 1 || options.instances > 16) {
    throw new Error(`instances must be a whole number within 1…16, got ${options.instances}`);
  }
  const redis = await startRedis();
  const instances: Instance[] = [];
  for (let i = 1; i <= options.instances; i++) instances.push({ name: `i${i}`, port: await freePort(), server: null });

  const launch = async (instance: Instance): Promise<void> => {
    // No HTTPS listener per instance (each would want 3443): the balancer speaks HTTP/1.1 to them.
    const args = ['--import', 'tsx', 'server/main.ts', '--https-port', '0', ...(options.labArgs ?? [])];
    args.push('--port', String(instance.port), '--redis', redis.url, '--instance', instance.name);
    // A generous start: on a busy 2-core machine, N tsx processes compile before they listen.
    instance.server = await startChild(args, LISTENING, options.env ?? {}, 90_000);
  };
  try {
    // One at a time: they share two cores, and the first one makes the epoch.
    for (const instance of instances) await launch(instance);
    const port = options.port ?? (await freePort());
    const balancer = await startHaproxy(port === 0 ? await freePort() : port, instances);
    return {
      url: balancer.url,
      redis,
      balancer,
      instances,
      async kill(index) {
        const instance = instances[index];
        if (!instance?.server) return;
        await instance.server.stop('SIGKILL');
        instance.server = null;
      },
      async revive(index) {
        const instance = instances[index];
        if (!instance || instance.server) return;
        await launch(instance);
      },
      async stop() {
        await balancer.stop();
        for (const instance of instances) await instance.server?.stop('SIGTERM');
        await redis.remove();
      },
    };
  } catch (error) {
    for (const instance of instances) await instance.server?.stop('SIGKILL');
    await redis.remove();
    throw error;
  }
}
