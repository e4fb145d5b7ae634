/**
 * Two clients meet the lab's server-push route (server/h2/push-demo.ts), and what each received
 * is counted: Node's http2 client (push enabled by default: it gets the PUSH_PROMISE and the
 * pushed body on its session's 'stream' event) and Chromium through playwright-core (it sends
 * SETTINGS_ENABLE_PUSH = 0, so nothing is promised, and a later fetch of the same path goes to
 * the network). Used by scripts/server-push/run.ts and test/h2/server-push.test.ts.
 */
import http2 from 'node:http2';
import type { Browser } from 'playwright-core';

export interface PushStats {
  requests: number;
  promised: number;
  refused: number;
  networkFetches: number;
}

export interface NodeClientPush {
  answer: { protocol: string; pushAllowed: boolean; promised: number };
  /** Every pushed stream the session got: its promised path, body bytes and the body's `via`. */
  pushed: { path: string; bytes: number; via: string }[];
}

export interface ChromiumPush {
  version: string;
  /** The page's own protocol (Resource Timing nextHopProtocol of the navigation). */
  pageProtocol: string;
  answer: { protocol: string; pushAllowed: boolean; promised: number };
  /** What fetch() of the would-be pushed path returned, and how it travelled. */
  fetchAfter: { via: string; nextHopProtocol: string; transferSize: number };
}

async function stats(base: string): Promise<PushStats> {
  return (await fetch(`${base}/api/push-demo/stats`)).json() as Promise<PushStats>;
}

export async function pushStats(httpBase: string): Promise<PushStats> {
  return stats(httpBase);
}

export async function nodeClientPush(h2Base: string): Promise<NodeClientPush> {
  const session = http2.connect(h2Base, { rejectUnauthorized: false });
  session.on('error', () => {});
  const pushed: NodeClientPush['pushed'] = [];
  const arrived: Promise<void>[] = [];
  session.on('stream', (stream, headers) => {
    arrived.push(
      new Promise((resolve) => {
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => {
          body += c;
        });
        stream.on('end', () => {
          const via = (JSON.parse(body) as { via: string }).via;
          pushed.push({ path: String(headers[':path']), bytes: Buffer.byteLength(body), via });
          resolve();
        });
        stream.on('error', () => resolve());
      }),
    );
  });
  try {
    const answer = await new Promise<NodeClientPush['answer']>((resolve, reject) => {
      const request = session.request({ ':path': '/api/push-demo?client=push-node' });
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (c: string) => {
        body += c;
      });
      request.on('end', () => resolve(JSON.parse(body)));
      request.on('error', reject);
      request.end();
    });
    await Promise.all(arrived);
    return { answer, pushed };
  } finally {
    session.close();
  }
}

export async function chromiumPush(browser: Browser, httpsBase: string): Promise<ChromiumPush> {
  // The lab's self-signed certificate: ignored in this context only.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    // The dashboard page: its Content-Security-Policy lets it fetch its own origin (an API answer's does not).
    await page.goto(`${httpsBase}/`);
    const seen = await page.evaluate(async () => {
      const answer = await (await fetch('/api/push-demo?client=push-chromium', { cache: 'no-store' })).json();
      const response = await fetch('/api/push-demo/pushed');
      const body = (await response.json()) as { via: string };
      const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const entry = entries.filter((e) => e.name.endsWith('/api/push-demo/pushed')).at(-1);
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return {
        answer,
        pageProtocol: nav?.nextHopProtocol ?? '',
        fetchAfter: {
          via: body.via,
          nextHopProtocol: entry?.nextHopProtocol ?? '',
          transferSize: entry?.transferSize ?? -1,
        },
      };
    });
    return { version: browser.version(), ...seen };
  } finally {
    await context.close();
  }
}
