/**
 * Starts the lab: `npm start` (PORT, HOST and the other options from the environment or flags,
 * e.g. `--port 3001 --host 0.0.0.0 --rate 5`; `--redis redis://host:port` or REDIS_URL shares one feed
 * among many instances, and exits 2 with the reason when that Redis cannot be reached). Handles SIGINT/SIGTERM: pending long polls are
 * answered, SSE streams ended, WebSockets closed 1012, and the process exits within 5 s.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import type { LabOptions } from './config.js';
import { exposureWarning } from './security/exposure.js';

const EXIT_DEADLINE_MS = 5_000;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    rate: { type: 'string' },
    'payload-bytes': { type: 'string' },
    retention: { type: 'string' },
    paused: { type: 'boolean' },
    log: { type: 'boolean' },
    'allow-origin': { type: 'string', multiple: true },
    redis: { type: 'string' },
    instance: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    'poll-rate-limit': { type: 'string' },
  },
});

const env = process.env;
const number = (flag: string | undefined, variable: string | undefined): number | undefined =>
  (flag ?? variable) ? Number(flag ?? variable) : undefined;

const options: Partial<LabOptions> = {
  running: !(values.paused ?? env.PAUSED === '1'),
  logger: values.log ?? env.LOG === '1',
  webRoot: fileURLToPath(new URL('../web/dist', import.meta.url)),
  allowedOrigins: values['allow-origin'] ?? (env.ALLOW_ORIGINS ? env.ALLOW_ORIGINS.split(',') : []),
  // One feed shared by many instances (docs/scale-out.md); without it the feed lives in this process.
  redisUrl: values.redis ?? env.REDIS_URL ?? null,
  instance: values.instance ?? env.LAB_INSTANCE ?? null,
  allowedHosts: values['allow-host'] ?? (env.ALLOW_HOSTS ? env.ALLOW_HOSTS.split(',') : []),
};
for (const [key, value] of [
  ['rate', number(values.rate, env.RATE)],
  ['payloadBytes', number(values['payload-bytes'], env.PAYLOAD_BYTES)],
  ['retention', number(values.retention, env.RETENTION)],
  ['pollRequestsPerSecond', number(values['poll-rate-limit'], env.POLL_RATE_LIMIT)],
] as const) {
  if (value !== undefined) options[key] = value;
}
const port = number(values.port, env.PORT) ?? 3000;
const host = values.host ?? env.HOST ?? '127.0.0.1';

/** Exit code when the feed's backend cannot be reached at start (distinct from a crash's 1). */
const EXIT_BACKEND_UNREACHABLE = 2;

const app = await buildApp(options).catch((error: Error) => {
  console.error(`Transport Lab: ${error.message}`);
  process.exit(EXIT_BACKEND_UNREACHABLE);
});
await app.listen({ port, host });
const address = app.server.address();
const shown =
  typeof address === 'object' && address
    ? `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
    : String(address);
const warning = exposureWarning(host, typeof address === 'object' && address ? address.port : port, app.lab.options);
if (warning) console.error(warning);
// One line a script can wait for (the scenario runner does).
const behind = app.lab.backend.kind === 'memory' ? '' : ` as instance ${app.lab.instance}, feed in ${options.redisUrl}`;
console.log(`Transport Lab listening on ${shown} (epoch ${app.lab.feed.epoch})${behind}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`Transport Lab: not closed within ${EXIT_DEADLINE_MS} ms, exiting anyway`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
