/**
 * The `smoke` scenario end to end, through the CLI as a user runs it: a real server process,
 * the four transports' real clients, the proxies, the capacity phase, the charts. Its
 * summary.json must satisfy the schema and show no loss on any transport.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../../contract/index.js';
import type { Summary } from '../../scenarios/summary.js';
import { validateSummary } from '../../scenarios/validate.js';
import { ROOT } from '../../tools/child-process.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scenarios/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run scenario -- smoke', () => {
  let out: string;
  let run: CliRun;
  let summary: Summary;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'lab-smoke-'));
    run = await cli(['smoke', '--json', '--out', out]);
    summary = JSON.parse(run.stdout) as Summary;
  }, 90_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('exits 0 with every expectation met', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(summary.expectations.length).toBeGreaterThan(0);
    for (const e of summary.expectations) expect(e.pass, `${e.text}: ${e.detail ?? ''}`).toBe(true);
  });

  it('prints the summary JSON on stdout, the tables on stderr', () => {
    expect(run.stderr).toContain('Delivery and latency');
    expect(run.stdout.trimStart().startsWith('{')).toBe(true);
  });

  it('writes summary.json that satisfies the schema, the charts, report.html and latest.json', () => {
    const latest = JSON.parse(readFileSync(join(out, 'smoke', 'latest.json'), 'utf8')) as {
      timestamp: string;
      summary: string;
    };
    const dir = join(out, 'smoke', latest.timestamp);
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'report.html']));
    expect(files.filter((f) => f.endsWith('.png')).length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'smoke', latest.summary))).toBe(true);
    const onDisk: unknown = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(validateSummary(onDisk)).toEqual([]);
    expect(onDisk).toEqual(summary);
  });

  it('delivers every message to every client of all four transports, none twice', () => {
    for (const t of TRANSPORTS) {
      const x = summary.transports[t];
      expect(x, t).toBeDefined();
      if (!x) continue;
      expect(x.expected, t).toBeGreaterThan(0);
      expect({ t, lost: x.lost, duplicates: x.duplicates, delivered: x.delivered }).toEqual({
        t,
        lost: 0,
        duplicates: 0,
        delivered: x.expected,
      });
      expect(x.latencyMs.count, t).toBe(x.delivered);
    }
  });

  it("counts bytes at the clients' sockets and the server agrees", () => {
    for (const t of TRANSPORTS) {
      const x = summary.transports[t];
      if (!x) continue;
      expect(x.bytesOut, t).toBeGreaterThan(x.payloadBytes);
      const proxy = x.bytesIn + x.bytesOut;
      const server = x.server.bytesIn + x.server.bytesOut;
      expect(Math.abs(proxy - server) / server, t).toBeLessThan(0.05);
    }
  });

  it('records the server process cost and the capacity phase', () => {
    expect(summary.server.cpuMs).toBeGreaterThan(0);
    expect(summary.server.rssMaxBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(summary.capacity?.[0]?.requestsPerSec).toBeGreaterThan(0);
    expect(summary.capacity?.[0]?.baseline?.ratio).toBeGreaterThan(0);
  });
});
