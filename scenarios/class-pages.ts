/**
 * What a student's dashboard page adds to its five lanes, simulated for the `classroom` scenario
 * (scenarios/library/classroom.ts), at the page's real request pattern (web/src/main.ts,
 * web/src/stats-stream.ts, web/src/classroom.ts):
 *
 * - it joins the class once (`POST /api/class/join`) and measures its clock offset (8 + 8 × GET /api/time);
 * - ONE stats stream (`GET /api/stats/stream?clients=<its 5 lane ids>&interval=500&name=…`);
 * - a report every CLASS_HEARTBEAT_MS (`POST /api/class/report`, its token in `Authorization`),
 *   with a whole HDR histogram per lane every fifth report, like the page's own;
 * - and the instructor's class view asks `GET /api/class` once a second.
 *
 * The lanes themselves are the runner's ordinary client groups. Each page has its own keep-alive
 * agent (a browser holds its own connections; one shared pool would hide the server's per-
 * connection cost). The reports' numbers are placeholders of the real shape and size (a histogram
 * of REPORT_SAMPLES recorded ages); the lanes' real numbers are what the runner measures itself.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { LatencyHistogram } from '../client/latency.js';
import {
  CLASS_HEARTBEAT_MS,
  CLASS_ROUTES,
  type JoinAnswer,
  type LaneReport,
  type StudentReport,
} from '../contract/classroom.js';
import type { TransportName } from '../contract/index.js';
import { createHttpFetch } from '../tools/http-fetch.js';
import type { PageLoadSummary } from './summary.js';

export interface ClassPagesOptions {
  /** The lab's URL (`http://127.0.0.1:port`): pages go straight to it, like the lanes' proxies. */
  url: string;
  instructorToken: string;
  /** Each page's lane client ids, one per transport (the runner's groups' i-th client). */
  lanes: Array<Partial<Record<TransportName, string>>>;
  statsIntervalMs: number;
}

/** What the pages saw while measuring: the server kept up with every page, or it did not (its schema: scenarios/summary.ts). */
export type { PageLoadSummary };

/** Recorded ages in each placeholder histogram: about what a lane gathers between two full reports. */
const REPORT_SAMPLES = 200;
const HISTOGRAM_EVERY = 5;
const CLOCK_SAMPLES = 16;

/** A keep-alive agent that counts the bytes of every socket it made, at the socket. */
class CountingAgent extends http.Agent {
  private readonly live = new Set<Socket>();
  private closed = { in: 0, out: 0 };

  constructor(maxSockets: number) {
    super({ keepAlive: true, maxSockets });
  }

  override createConnection(...args: Parameters<http.Agent['createConnection']>) {
    const socket = super.createConnection(...args) as Socket;
    this.live.add(socket);
    socket.once('close', () => {
      this.live.delete(socket);
      this.closed = { in: this.closed.in + socket.bytesRead, out: this.closed.out + socket.bytesWritten };
    });
    return socket;
  }

  get bytes(): { in: number; out: number } {
    let { in: read, out: written } = this.closed;
    for (const socket of this.live) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { in: read, out: written };
  }
}

interface Page {
  student: JoinAnswer;
  agent: CountingAgent;
  stream: http.ClientRequest | null;
  lastEventAt: number | null;
  sent: number;
}

export class ClassPages {
  private readonly pages: Page[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private phases: ReturnType<typeof setTimeout>[] = [];
  private measuring = false;
  private readonly lateness: number[] = [];
  private readonly reportRtts: number[] = [];
  private readonly counts = { statsEvents: 0, reports: 0, reportFailures: 0, classViews: 0, classViewFailures: 0 };
  /** All agents' socket bytes when measuring started, and what they added until it stopped. */
  private bytesFrom = { in: 0, out: 0 };
  private bytes = { in: 0, out: 0 };
  private measuredFrom = 0;
  private measuredMs = 0;
  private readonly histogram: string;
  private readonly instructorAgent = new CountingAgent(1);

  private constructor(private readonly options: ClassPagesOptions) {
    const placeholder = new LatencyHistogram();
    for (let i = 0; i < REPORT_SAMPLES; i++) placeholder.record(1 + (i % 50) * 0.37);
    this.histogram = placeholder.encode();
  }

  /** Join every page (in batches, as a class arrives), then open their streams and start reporting. */
  static async start(options: ClassPagesOptions): Promise<ClassPages> {
    const pages = new ClassPages(options);
    for (let i = 0; i < options.lanes.length; i += 20) {
      const batch = options.lanes.slice(i, i + 20).map((_lanes, j) => pages.join(i + j));
      pages.pages.push(...(await Promise.all(batch)));
    }
    pages.pages.forEach((page, i) => {
      pages.openStream(page, options.lanes[i] ?? {});
    });
    pages.pages.forEach((page, i) => {
      // Each page's heartbeat at its own phase, as pages that joined at different moments.
      const offset = (CLASS_HEARTBEAT_MS * i) / pages.pages.length;
      pages.phases.push(
        setTimeout(() => {
          pages.timers.push(setInterval(() => pages.report(page, options.lanes[i] ?? {}), CLASS_HEARTBEAT_MS));
        }, offset),
      );
    });
    pages.timers.push(setInterval(() => pages.viewClass(), 1_000));
    return pages;
  }

  /** Counters run between `measure(true)` and `measure(false)` (the runner's window). */
  measure(on: boolean): void {
    if (on) {
      this.measuring = true;
      this.measuredFrom = performance.now();
      this.lateness.length = 0;
      this.reportRtts.length = 0;
      for (const key of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[key] = 0;
      this.bytesFrom = this.socketBytes();
    } else if (this.measuring) {
      this.measuring = false;
      this.measuredMs = performance.now() - this.measuredFrom;
      const now = this.socketBytes();
      this.bytes = { in: now.in - this.bytesFrom.in, out: now.out - this.bytesFrom.out };
    }
  }

  summary(): PageLoadSummary {
    const intervals = this.measuredMs / this.options.statsIntervalMs;
    return {
      pages: this.pages.length,
      statsEvents: this.counts.statsEvents,
      statsEventsExpected: Math.floor(intervals) * this.pages.length,
      statsLatenessMs: {
        p50: percentile(this.lateness, 50),
        p99: percentile(this.lateness, 99),
        max: this.lateness.length === 0 ? 0 : Math.max(...this.lateness),
      },
      reports: this.counts.reports,
      reportFailures: this.counts.reportFailures,
      reportRttMs: { p50: percentile(this.reportRtts, 50), p99: percentile(this.reportRtts, 99) },
      classViews: this.counts.classViews,
      classViewFailures: this.counts.classViewFailures,
      bytesIn: this.bytes.in,
      bytesOut: this.bytes.out,
    };
  }

  private socketBytes(): { in: number; out: number } {
    const total = this.instructorAgent.bytes;
    for (const page of this.pages) {
      const bytes = page.agent.bytes;
      total.in += bytes.in;
      total.out += bytes.out;
    }
    return total;
  }

  stop(): void {
    for (const timer of this.phases) clearTimeout(timer);
    for (const timer of this.timers) clearInterval(timer);
    this.phases = [];
    this.timers = [];
    for (const page of this.pages) {
      page.stream?.destroy();
      page.agent.destroy();
    }
    this.instructorAgent.destroy();
  }

  private async join(i: number): Promise<Page> {
    // A browser's six connections per origin (HTTP/1.1): the stream holds one, the rest take turns.
    const agent = new CountingAgent(6);
    const joined = await this.request<JoinAnswer>(agent, 'POST', CLASS_ROUTES.join, null, { name: `student ${i}` });
    if (joined.status < 200 || joined.status > 299 || joined.body === null)
      throw new Error(`page ${i} could not join the class: HTTP ${joined.status}`);
    for (let s = 0; s < CLOCK_SAMPLES; s++) await this.request(agent, 'GET', '/api/time', null);
    return { student: joined.body, agent, stream: null, lastEventAt: null, sent: 0 };
  }

  private openStream(page: Page, lanes: Partial<Record<TransportName, string>>): void {
    const query = new URLSearchParams({
      clients: Object.values(lanes).join(','),
      interval: String(this.options.statsIntervalMs),
      name: page.student.name,
    });
    const request = http.get(`${this.options.url}/api/stats/stream?${query}`, { agent: page.agent }, (response) => {
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        let end = pending.indexOf('\n\n');
        while (end >= 0) {
          pending = pending.slice(end + 2);
          this.onStatsEvent(page);
          end = pending.indexOf('\n\n');
        }
      });
    });
    request.on('error', () => {});
    page.stream = request;
  }

  private onStatsEvent(page: Page): void {
    const at = performance.now();
    if (this.measuring) {
      this.counts.statsEvents += 1;
      if (page.lastEventAt !== null)
        this.lateness.push(Math.max(0, at - page.lastEventAt - this.options.statsIntervalMs));
    }
    page.lastEventAt = at;
  }

  private report(page: Page, lanes: Partial<Record<TransportName, string>>): void {
    const withHistogram = page.sent++ % HISTOGRAM_EVERY === 0;
    const laneReport: LaneReport = {
      received: page.sent,
      lost: 0,
      duplicated: 0,
      resets: 0,
      p50: 2.1,
      p99: 9.7,
      recentP50: 2.2,
      recentP99: 8.9,
      recentCount: 10,
      network: null,
      ...(withHistogram ? { histogram: this.histogram } : {}),
    };
    const body: StudentReport = {
      rttMs: 0.4,
      lanes: Object.fromEntries(Object.keys(lanes).map((t) => [t, laneReport])),
    };
    const started = performance.now();
    // Counted when sent inside the window, however late the answer comes.
    const counted = this.measuring;
    void this.request(page.agent, 'POST', CLASS_ROUTES.report, page.student.token, body).then(({ status }) => {
      if (!counted) return;
      if (status === 200) {
        this.counts.reports += 1;
        this.reportRtts.push(performance.now() - started);
      } else this.counts.reportFailures += 1;
    });
  }

  private viewClass(): void {
    const counted = this.measuring;
    void this.request(this.instructorAgent, 'GET', CLASS_ROUTES.view, this.options.instructorToken).then(
      ({ status }) => {
        if (!counted) return;
        if (status === 200) this.counts.classViews += 1;
        else this.counts.classViewFailures += 1;
      },
    );
  }

  /** One JSON call through the project's node:http fetch on a page's own agent; never rejects (status 0: it failed). */
  private async request<T>(
    agent: http.Agent,
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: T | null }> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init = body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
    try {
      const response = await createHttpFetch(agent)(`${this.options.url}${path}`, init);
      const text = await response.text();
      let parsed: T | null = null;
      try {
        parsed = text === '' ? null : (JSON.parse(text) as T);
      } catch {
        parsed = null;
      }
      return { status: response.status, body: parsed };
    } catch {
      return { status: 0, body: null };
    }
  }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
