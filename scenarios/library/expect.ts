/**
 * Building blocks for expectations: small functions of the summary that say pass/fail and,
 * always, the numbers behind the verdict (a ✓ without its figure teaches nothing).
 */
import { TRANSPORTS, type TransportName } from '../../contract/index.js';
import type { ExpectationDef } from '../define.js';
import type { GroupSummary, Summary, TransportSummary } from '../summary.js';

export const fmt = (v: number, digits = 3): string =>
  Number.isFinite(v) ? Number(v.toPrecision(digits)).toLocaleString('en-US') : String(v);

export function present(summary: Summary): TransportName[] {
  return TRANSPORTS.filter((t) => summary.transports[t] !== undefined);
}

export function get(summary: Summary, t: TransportName): TransportSummary {
  const s = summary.transports[t];
  if (!s) throw new Error(`no ${t} in the summary`);
  return s;
}

export function group(summary: Summary, name: string): GroupSummary {
  const g = summary.groups?.find((x) => x.name === name);
  if (!g) throw new Error(`no group ${name} in the summary`);
  return g;
}

/** Every transport (or those named) lost nothing, had no duplicates and delivered something. */
export function noLoss(transports: readonly TransportName[] = TRANSPORTS): ExpectationDef {
  return {
    text: `no message lost or duplicated (${transports.length === TRANSPORTS.length ? 'every transport' : transports.join(', ')})`,
    check: (s) => {
      const rows = transports.filter((t) => s.transports[t]).map((t) => ({ t, ...get(s, t) }));
      const bad = rows.filter((r) => r.lost !== 0 || r.duplicates !== 0 || r.delivered === 0);
      const detail = rows
        .map((r) => `${r.t} ${fmt(r.delivered, 6)}/${fmt(r.expected, 6)}, dup ${r.duplicates}`)
        .join('; ');
      return { pass: rows.length > 0 && bad.length === 0, detail };
    },
  };
}

/** The same at every sweep point. */
export function noLossAtEveryPoint(): ExpectationDef {
  return {
    text: 'no message lost or duplicated, at every point, on every transport',
    check: (s) => {
      const points = s.sweep?.points ?? [];
      const bad: string[] = [];
      let delivered = 0;
      for (const p of points) {
        for (const t of TRANSPORTS) {
          const x = p.transports[t];
          if (!x) continue;
          delivered += x.delivered;
          if (x.lost !== 0 || x.duplicates !== 0) bad.push(`${t} at ${p.value}: lost ${x.lost}, dup ${x.duplicates}`);
        }
      }
      return {
        pass: points.length > 0 && bad.length === 0,
        detail: bad.length > 0 ? bad.join('; ') : `${fmt(delivered, 6)} deliveries checked`,
      };
    },
  };
}

/** The client's socket bytes (proxy) and the server's own count agree within `tolerance` (a share). */
export function bytesAgree(tolerance: number): ExpectationDef {
  return {
    text: `bytes counted at the clients' sockets match the server's own accounting within ${fmt(tolerance * 100)} %`,
    check: (s) => {
      const worst = present(s)
        .map((t) => {
          const x = get(s, t);
          const proxy = x.bytesIn + x.bytesOut;
          const server = x.server.bytesIn + x.server.bytesOut;
          return { t, off: server > 0 ? Math.abs(proxy - server) / server : proxy === 0 ? 0 : 1 };
        })
        .sort((a, b) => b.off - a.off)[0];
      if (!worst) return { pass: false, detail: 'no transport measured' };
      return { pass: worst.off <= tolerance, detail: `largest difference ${fmt(worst.off * 100, 2)} % (${worst.t})` };
    },
  };
}

/** `x` within `share` of `target` (relative). */
export const near = (x: number, target: number, share: number): boolean =>
  Math.abs(x - target) <= share * Math.abs(target);

/** Empty share of a transport's poll answers. */
export const emptyShare = (x: TransportSummary): number => (x.requests > 0 ? x.emptyResponses / x.requests : 0);

/** Messages published in the window, per client (all clients of a group see the same feed). */
export const publishedPerClient = (x: TransportSummary): number => (x.clients > 0 ? x.expected / x.clients : 0);

/** Seconds the counters (requests, bytes) ran: the window plus its drain. */
export const countedS = (x: TransportSummary): number | undefined =>
  x.countedMs === undefined ? undefined : x.countedMs / 1000;
