/**
 * The classroom scenario's verdict (scenarios/library/classroom.ts): at each class size, does every
 * lane of every page stay within the budget, and what does one page cost the server? The largest
 * size that passes is "the class this machine holds".
 *
 * A lane's budget is its transport's own floor plus `budgetMs`: a short poll waits for its next
 * poll by design (p99 ≈ 0.99·T, docs/contract.md), every other transport's floor is ~0 on loopback.
 */
import type { PageLoadSummary } from './class-pages.js';
import type { GroupSpec } from './define.js';
import type { ClassCapacity, ClassSizeVerdict, TransportSummary } from './summary.js';

/** Stats events a page must get, as a share of what its interval calls for: the server kept up. */
const STATS_KEPT_UP = 0.9;

export function laneBudgetMs(group: Pick<GroupSpec, 'transport' | 'pollIntervalMs'>, budgetMs: number): number {
  return (group.transport === 'short-poll' ? 0.99 * group.pollIntervalMs : 0) + budgetMs;
}

export function judgeClassSize(input: {
  pages: PageLoadSummary;
  groups: GroupSpec[];
  transports: Partial<Record<string, TransportSummary>>;
  budgetMs: number;
  serverCpuMs: number;
  countedMs: number;
}): ClassSizeVerdict {
  const { pages, groups, transports, budgetMs } = input;
  const reasons: string[] = [];
  const lanes: ClassSizeVerdict['lanes'] = {};
  for (const g of groups) {
    const s = transports[g.transport];
    const budget = laneBudgetMs(g, budgetMs);
    // No delivery at all has no p99 (a histogram's 0 would read as "instant").
    const p99 = s && s.latencyMs.count > 0 ? s.latencyMs.p99 : Number.NaN;
    lanes[g.transport] = { p99, budgetMs: budget, lost: s?.lost ?? 0 };
    if (Number.isNaN(p99)) reasons.push(`${g.transport} received nothing`);
    else if (p99 > budget) reasons.push(`${g.transport} p99 ${p99.toFixed(0)} ms > ${budget.toFixed(0)} ms`);
    if ((s?.lost ?? 0) > 0) reasons.push(`${g.transport} lost ${s?.lost}`);
  }
  if (pages.reportFailures > 0) reasons.push(`${pages.reportFailures} reports failed`);
  if (pages.statsEvents < STATS_KEPT_UP * pages.statsEventsExpected)
    reasons.push(`stats streams got ${pages.statsEvents} of ${pages.statsEventsExpected} events`);
  const seconds = input.countedMs / 1000;
  return {
    pages: pages.pages,
    pass: reasons.length === 0,
    reasons,
    lanes,
    serverCpuMsPerPagePerS: seconds > 0 && pages.pages > 0 ? input.serverCpuMs / seconds / pages.pages : 0,
    serverCpuShare: seconds > 0 ? input.serverCpuMs / 1000 / seconds : 0,
    pageLoad: pages,
  };
}

/** The largest passing size, counted only up to the first failure (a later pass is luck, not capacity). */
export function classCapacity(verdicts: ClassSizeVerdict[], budgetMs: number): ClassCapacity {
  let largest: number | null = null;
  for (const v of verdicts) {
    if (!v.pass) break;
    largest = v.pages;
  }
  return {
    budgetMs,
    largestClass: largest,
    triedUpTo: Math.max(0, ...verdicts.map((v) => v.pages)),
    verdicts,
  };
}
