/**
 * What one more idle WebSocket keeps in the JS heap, object by object: the lab and bare `ws`
 * (bare-ws-server.ts), each in a fresh process, `--warm` connections opened and kept, a heap
 * snapshot, `--idle` more connections, a second snapshot; the objects of the second minus those of
 * the first, by kind and constructor, divided by `--idle` (count and bytes per connection). Exact
 * to the object, where the bench's heap row (`npm run bench -- --memory-only`) gives only the sum.
 *
 *   npx tsx scenarios/bench/ws-heap-diff.ts [--idle 500] [--warm 200] [--top 30] [--before <checkout>]
 *
 * A few hundred connections: run it under the measurement lock.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ControlClient as ServerApi } from '../../client/control.js';
import { type ChildServer, ROOT, startChild } from '../../tools/child-process.js';
import { LoadClient } from './load-handle.js';
import { ROUTE, SETTLE_MS } from './memory.js';

const { values } = parseArgs({
  options: {
    idle: { type: 'string', default: '500' },
    warm: { type: 'string', default: '200' },
    top: { type: 'string', default: '30' },
    before: { type: 'string' },
    keep: { type: 'string' },
  },
});
const idle = Number(values.idle);
const warm = Number(values.warm);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects by `kind constructor`: count and self bytes. */
function tally(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const kinds = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const kind = kinds[snap.nodes[i + type] as number] as string;
    // Strings and code by kind alone; objects by constructor.
    const label =
      kind === 'object' || kind === 'closure' || kind === 'native'
        ? `${kind} ${snap.strings[snap.nodes[i + name] as number]}`
        : kind === 'hidden' || kind === 'array' || kind === 'object shape'
          ? `${kind} ${(snap.strings[snap.nodes[i + name] as number] ?? '').slice(0, 40)}`
          : kind;
    const row = out.get(label) ?? { count: 0, bytes: 0 };
    row.count += 1;
    row.bytes += snap.nodes[i + size] as number;
    out.set(label, row);
  }
  return out;
}

async function snapshot(server: ChildServer, dir: string, n: number): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(server.pid, 'SIGUSR2');
  for (let waited = 0; waited < 60_000; waited += 250) {
    await sleep(250);
    const made = readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (made.length > 0) {
      // Written in full once its size stops changing.
      const file = join(dir, made[0] as string);
      let last = -1;
      for (;;) {
        const now = readFileSync(file).length;
        if (now === last && now > 0) return file;
        last = now;
        await sleep(500);
      }
    }
  }
  throw new Error(`no heap snapshot ${n} from ${server.pid}`);
}

async function measure(
  label: string,
  script: string,
  client: LoadClient,
): Promise<Map<string, { count: number; bytes: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-heap-'));
  const flags = ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
  const args = script.endsWith('main.ts')
    ? [...flags, '--import', 'tsx', script, '--port', '0', '--https-port', '0', '--paused']
    : [...flags, '--import', 'tsx', script];
  const server = await startChild(args);
  try {
    const api = new ServerApi(server.url);
    const url = `${server.url}${ROUTE.websocket}`;
    await client.open('websocket', url, warm, (await api.feed()).head, 0);
    await sleep(SETTLE_MS);
    const a = tally(await snapshot(server, dir, 1));
    await client.open('websocket', url, idle, (await api.feed()).head, warm);
    await sleep(SETTLE_MS);
    const b = tally(await snapshot(server, dir, 2));
    await client.close();
    const diff = new Map<string, { count: number; bytes: number }>();
    for (const [key, row] of b) {
      const was = a.get(key) ?? { count: 0, bytes: 0 };
      diff.set(key, { count: (row.count - was.count) / idle, bytes: (row.bytes - was.bytes) / idle });
    }
    let total = 0;
    for (const row of diff.values()) total += row.bytes;
    console.log(`\n${label}: ${total.toFixed(0)} B of JS heap per idle WebSocket`);
    const top = [...diff].sort((x, y) => Math.abs(y[1].bytes) - Math.abs(x[1].bytes)).slice(0, Number(values.top));
    for (const [key, row] of top)
      console.log(`${row.bytes.toFixed(1).padStart(8)} B ${row.count.toFixed(2).padStart(6)}×  ${key}`);
    return diff;
  } finally {
    await server.stop();
    if (values.keep) console.log(`snapshots kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const client = await LoadClient.start();
try {
  const runs: [string, string][] = [['lab', join(ROOT, 'server/main.ts')]];
  if (values.before) runs.push(['before', join(values.before, 'server/main.ts')]);
  runs.push(['bare ws', 'scenarios/bench/bare-ws-server.ts']);
  for (const [label, script] of runs) await measure(label, script, client);
} finally {
  client.stop();
}
