/**
 * `npm run cluster -- --instances 3 [--port 3000] [--rate 1] [--paused]`: a private redis-server,
 * N lab instances sharing its feed, HAProxy round-robin in front (no sticky sessions), and one URL
 * to open. The dashboard's lanes show which instance served each request or stream. Ctrl-C stops all.
 */

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { HAPROXY } from './haproxy.js';
import { REDIS_SERVER } from './redis-process.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    port: { type: 'string', default: '3000' },
    rate: { type: 'string' },
    paused: { type: 'boolean' },
  },
});

for (const [file, pkg] of [
  [REDIS_SERVER, 'redis-server'],
  [HAPROXY, 'haproxy'],
] as const) {
  if (!existsSync(file)) {
    console.error(`${file} is missing. Install it: sudo apt-get update && sudo apt-get install -y ${pkg}`);
    process.exit(1);
  }
}

const labArgs: string[] = [];
if (values.rate !== undefined) labArgs.push('--rate', values.rate);
if (values.paused) labArgs.push('--paused');

const instances = Number(values.instances);
console.log(`Starting redis-server, ${instances} lab instance(s) and HAProxy…`);
const cluster = await startCluster({ instances, port: Number(values.port), labArgs }).catch((error: Error) => {
  console.error(`Cluster did not start: ${error.message}`);
  process.exit(1);
});
console.log(`  redis-server  ${cluster.redis.url} (pid ${cluster.redis.pid}, persistence off)`);
for (const instance of cluster.instances) {
  console.log(`  ${instance.name.padEnd(12)}  http://127.0.0.1:${instance.port} (pid ${instance.server?.pid})`);
}
console.log(`  haproxy       round-robin, no stickiness (pid ${cluster.balancer.pid})`);
console.log(`\nOpen ${cluster.url}\n`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping the cluster…');
    cluster.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
