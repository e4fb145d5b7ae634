/**
 * Starts the lab (server/main.ts runs nextTick hot first, then loads this): `npm start` (PORT, HOST
 * and the other options from the environment or flags, e.g. `--port 3001 --host 0.0.0.0 --rate 5`;
 * `--redis redis://host:port` or REDIS_URL shares one feed among many instances, and exits 2 with the
 * reason when that Redis cannot be reached). Handles SIGINT/SIGTERM: pending long polls are answered,
 * SSE streams ended, WebSockets closed 1012, and the process exits within 5 s.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { classroomBanner, joinUrlFor } from './classroom/lan.js';
import { newToken } from './classroom/roster.js';
import { DEFAULT_OPTIONS, type LabOptions } from './config.js';
import { loadOrCreateCertificate, trustAdvice } from './h2/certificate.js';
import { listenSecure } from './h2/listeners.js';
import { exposureWarning } from './security/exposure.js';
import { fdReserve, fdSoftLimit, streamsWithinFdLimit } from './security/fd-limit.js';

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
    'approximate-bytes': { type: 'boolean' },
    classroom: { type: 'boolean' },
    'https-port': { type: 'string' },
    'h2c-port': { type: 'string' },
    'cert-dir': { type: 'string' },
    redis: { type: 'string' },
    instance: { type: 'string' },
    'allow-host': { type: 'string', multiple: true },
    'poll-rate-limit': { type: 'string' },
    'sse-retry-ms': { type: 'string' },
    'no-fast-lane': { type: 'boolean' },
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
  forceApproximateBytes: values['approximate-bytes'] ?? false,
  // One feed shared by many instances (docs/scale-out.md); without it the feed lives in this process.
  redisUrl: values.redis ?? env.REDIS_URL ?? null,
  instance: values.instance ?? env.LAB_INSTANCE ?? null,
  allowedHosts: values['allow-host'] ?? (env.ALLOW_HOSTS ? env.ALLOW_HOSTS.split(',') : []),
  // Every poll through Fastify (server/fast-lane.ts): `npm run bench:poll-machinery` compares both.
  fastPollLane: !(values['no-fast-lane'] ?? false),
};
for (const [key, value] of [
  ['rate', number(values.rate, env.RATE)],
  ['payloadBytes', number(values['payload-bytes'], env.PAYLOAD_BYTES)],
  ['retention', number(values.retention, env.RETENTION)],
  ['pollRequestsPerSecond', number(values['poll-rate-limit'], env.POLL_RATE_LIMIT)],
  // The `retry:` the SSE stream announces: how long EventSource waits before it reconnects (LESSONS.md, Lab 3).
  ['sseRetryMs', number(values['sse-retry-ms'], env.SSE_RETRY_MS)],
] as const) {
  if (value !== undefined) options[key] = value;
}
// Streams never take every file descriptor: some stay free to refuse the next one in words.
const fdLimit = fdSoftLimit();
const maxStreams = streamsWithinFdLimit(options.maxStreams ?? DEFAULT_OPTIONS.maxStreams, fdLimit);
if (maxStreams < (options.maxStreams ?? DEFAULT_OPTIONS.maxStreams) && fdLimit !== null) {
  options.maxStreams = maxStreams;
  console.error(
    `Transport Lab: ulimit -n is ${fdLimit}: at most ${maxStreams} streams, ${fdReserve(fdLimit)} descriptors kept to answer the rest (503 / SSE overload)`,
  );
}
const port = number(values.port, env.PORT) ?? 3000;
// A classroom: every interface, an instructor token (CLASS_TOKEN to choose it, else a fresh one).
const classroom = values.classroom ?? env.CLASSROOM === '1';
const host = values.host ?? env.HOST ?? (classroom ? '0.0.0.0' : '127.0.0.1');
if (classroom) {
  options.classroom = {
    instructorToken: env.CLASS_TOKEN ?? newToken(),
    joinUrl: null,
    resultsDir: fileURLToPath(new URL('../results/class', import.meta.url)),
  };
}
// HTTPS with ALPN h2 + http/1.1 (0 turns it off); cleartext h2c only when asked for.
const httpsPort = number(values['https-port'], env.HTTPS_PORT) ?? 3443;
const h2cPort = number(values['h2c-port'], env.H2C_PORT) ?? 0;
const certDir = values['cert-dir'] ?? env.CERT_DIR ?? fileURLToPath(new URL('../.certs', import.meta.url));

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
if (app.lab.accounting.meter.mode === 'approximate') {
  console.error(
    'WARNING: bytes out are counted approximately: this Node lacks the socket internals the exact count reads ' +
      '(or --approximate-bytes was given). Writes in flight are undercounted; see docs/accounting.md.',
  );
}
// One line a script can wait for (the scenario runner does).
const behind = app.lab.backend.kind === 'memory' ? '' : ` as instance ${app.lab.instance}, feed in ${options.redisUrl}`;
console.log(`Transport Lab listening on ${shown} (epoch ${app.lab.feed.epoch})${behind}`);
const classState = app.lab.classroom;
if (classState !== null && typeof address === 'object' && address) {
  classState.joinUrl = joinUrlFor(address.port);
  console.log(await classroomBanner(classState.joinUrl, classState.instructorToken, address.port));
}
if (httpsPort > 0 || h2cPort > 0) {
  const certificate = httpsPort > 0 ? await loadOrCreateCertificate(certDir) : null;
  const secure = await listenSecure(app, {
    host,
    httpsPort: httpsPort > 0 ? httpsPort : null,
    h2cPort: h2cPort > 0 ? h2cPort : null,
    certificate,
  });
  const name = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  if (secure.httpsPort !== null && certificate) {
    const httpsUrl = `https://${name}:${secure.httpsPort}`;
    console.log(`Transport Lab over HTTPS on ${httpsUrl} (ALPN h2, http/1.1)`);
    if (certificate.created) console.log(`Made a self-signed certificate for localhost and 127.0.0.1 in ${certDir}`);
    for (const line of trustAdvice(certificate.certPath, httpsUrl)) console.log(line);
  }
  if (secure.h2cPort !== null) {
    console.log(`Transport Lab over cleartext HTTP/2 (h2c, prior knowledge) on http://${name}:${secure.h2cPort}`);
  }
}

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
