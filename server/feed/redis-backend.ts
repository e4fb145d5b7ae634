/**
 * The feed shared by many instances through one Redis Stream.
 *
 * - Publishing runs one Lua script: it assigns the next `seq` (INCR) and appends the message
 *   (XADD … MAXLEN ~ retention) atomically, so seq is contiguous whichever instance publishes.
 * - The epoch lives in Redis beside the counter. A Redis that lost them (FLUSHALL, a restart
 *   without persistence, failover to an empty replica) gets a new epoch from the first script
 *   that notices; every instance then adopts it and every client gets a `reset` with reason
 *   `epoch`. Never a silent gap.
 * - Each instance runs ONE `XREAD BLOCK` loop on its own connection, whatever its number of
 *   clients, and appends what it reads to its local `Feed`; transports read only that replica.
 * - What the broker costs per message is round trips (docs/scale-out.md, "What the broker costs"):
 *   the instance that publishes appends its own message from the script's answer (its seq is the
 *   next one here, so nothing can be skipped), and its XREAD, which would otherwise wake once for
 *   each of its own messages only to bring what it already has, is re-sent at most every
 *   OWN_READ_GAP_MS while it brings nothing new. A message published through another instance then
 *   reaches this one's clients up to that much later; an instance that does not publish reads at
 *   once. Commands are written as they are made (no auto-pipelining: with one command in flight it
 *   only added a batch object and a turn per publish).
 * - The ticker runs on one instance at a time: whoever holds a short lease key. Its settings
 *   are a key plus a Pub/Sub channel, so `PUT /api/feed` on any instance changes the one feed.
 * - Redis unreachable mid-run: publishes are refused (`LAB_FEED_UNAVAILABLE`, 503), reads serve
 *   what this instance holds, and the loops retry; when Redis is back the same epoch resumes
 *   where it was, or a lost stream becomes an epoch reset.
 */
import { createHash } from 'node:crypto';
import { Command, Redis } from 'ioredis';
import type { Cursor, FeedSettings } from '../../contract/index.js';
import { FeedUnavailableError } from '../errors.js';
import type { BackendStatus, FeedBackend, PublishResult } from './backend.js';
import { type Feed, newEpoch, nowMs } from './feed.js';
import type { Ticker, TickerState } from './ticker.js';

/** How long one XREAD blocks; an idle loop checks the epoch this often. */
const BLOCK_MS = 1_000;
/** Messages one XREAD may return: a replica that fell behind catches up in batches. */
const READ_COUNT = 1_000;
/** The ticker lease: held this long, renewed three times as often. */
const LEASE_MS = 3_000;
const LEASE_RENEW_MS = 1_000;
/** How long a publish, a lease renewal or an epoch check may wait for Redis' answer. */
const COMMAND_TIMEOUT_MS = 2_000;
/** While the XREAD brings only what this instance published itself, it is re-sent at most this often, ms. */
export const OWN_READ_GAP_MS = 50;
/** How long a cursor ahead of this replica may wait for it to catch up (see FeedBackend.settle). */
const SETTLE_MS = 1_000;

/** Make sure an epoch and a counter exist (a new epoch, with an emptied stream, if either is lost). */
const ENSURE_EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if (not epoch) or redis.call('EXISTS', KEYS[2]) == 0 then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], 0)
  redis.call('DEL', KEYS[3])
end
return {epoch, tonumber(redis.call('GET', KEYS[2]))}
`;

/** ENSURE_EPOCH, then the next seq and the XADD in the same atomic step. */
const PUBLISH = `
local epoch = redis.call('GET', KEYS[1])
if (not epoch) or redis.call('EXISTS', KEYS[2]) == 0 then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], 0)
  redis.call('DEL', KEYS[3])
end
local seq = redis.call('INCR', KEYS[2])
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'e', epoch, 's', seq, 't', ARGV[3], 'd', ARGV[4], 'i', ARGV[5])
return {epoch, seq, id}
`;

/** Take the lease if free, renew it if ours. */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** The PUBLISH script's SHA1: what EVALSHA names (Redis answers NOSCRIPT until the script is loaded). */
const PUBLISH_SHA = createHash('sha1').update(PUBLISH).digest('hex');

const ignore = () => {};

interface LabRedis extends Redis {
  labEnsureEpoch(epochKey: string, seqKey: string, streamKey: string, candidate: string): Promise<[string, number]>;
  labPublish(
    epochKey: string,
    seqKey: string,
    streamKey: string,
    candidate: string,
    maxLen: number,
    ts: string,
    data: string,
    instance: string,
  ): Promise<[epoch: string, seq: number, id: string]>;
  labLease(leaseKey: string, holder: string, ms: number): Promise<number>;
}

type StreamEntries = [id: string, fields: string[]][];

export interface RedisBackendOptions {
  url: string;
  /** This instance's name: the ticker lease holder's id. */
  instance: string;
  /** Messages kept in the stream (MAXLEN ~) and in each replica. */
  retention: number;
  /** Key prefix, so two labs can share one Redis. */
  prefix?: string;
}

export class RedisBackend implements FeedBackend {
  readonly kind = 'redis';
  private readonly keys: { epoch: string; seq: string; stream: string; lease: string; ticker: string };
  private readonly commands: LabRedis;
  private readonly reader: Redis;
  private readonly subscriber: Redis;
  private feed: Feed | null = null;
  private ticker: Ticker | null = null;
  private lastId = '0-0';
  private running = false;
  private started = false;
  private publishFailures = 0;
  private leaseTimer: NodeJS.Timeout | null = null;
  private readLoopDone: Promise<void> = Promise.resolve();
  private lastEpochCheck = 0;
  private lastError = '';
  /** XREAD answers that brought entries (a count for the tests: the loop's round trips). */
  reads = 0;

  constructor(private readonly options: RedisBackendOptions) {
    const prefix = options.prefix ?? 'lab:';
    this.keys = {
      epoch: `${prefix}epoch`,
      seq: `${prefix}seq`,
      stream: `${prefix}stream`,
      lease: `${prefix}ticker-lease`,
      ticker: `${prefix}ticker`,
    };
    // Before start succeeds, a refused connection is final (a clear error and exit); afterwards
    // the connections retry every second at most, for as long as it takes.
    const retryStrategy = (times: number) => (this.started ? Math.min(100 * times, 1_000) : null);
    const common = { lazyConnect: true, retryStrategy, connectTimeout: 2_000 };
    // Commands fail at once while Redis is away: a publish gets a 503, not an unbounded wait.
    // A Redis that is connected but does not answer (frozen, overloaded) fails them after
    // COMMAND_TIMEOUT_MS too, instead of piling up publishes that wait without bound.
    this.commands = new Redis(options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
    }) as LabRedis;
    this.commands.defineCommand('labEnsureEpoch', { numberOfKeys: 3, lua: ENSURE_EPOCH });
    this.commands.defineCommand('labPublish', { numberOfKeys: 3, lua: PUBLISH });
    this.commands.defineCommand('labLease', { numberOfKeys: 1, lua: LEASE });
    // The reader's XREAD waits out an outage and is sent again on reconnect.
    this.reader = new Redis(options.url, { ...common, maxRetriesPerRequest: null });
    this.subscriber = new Redis(options.url, { ...common, maxRetriesPerRequest: null });
    for (const client of [this.commands, this.reader, this.subscriber]) {
      // Errors are reported by the calls that meet them; an unhandled 'error' event would crash.
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
    }
  }

  async start(feed: Feed, ticker: Ticker): Promise<void> {
    this.feed = feed;
    this.ticker = ticker;
    // Nothing is published until the lease says this instance's ticker is the one.
    ticker.setActive(false);
    ticker.publishVia(this.publishForTicker);
    try {
      await Promise.all([this.commands.connect(), this.reader.connect(), this.subscriber.connect()]);
    } catch (error) {
      await this.close();
      throw new Error(`cannot reach Redis at ${this.options.url}: ${this.lastError || (error as Error).message}`);
    }
    this.started = true;

    // Load this replica: the epoch, then the tail of the stream, oldest first.
    const [epoch] = await this.commands.labEnsureEpoch(this.keys.epoch, this.keys.seq, this.keys.stream, newEpoch());
    feed.adoptEpoch(epoch, 0);
    // Publishes name the script by its SHA (sendPublish): load it now rather than at the first NOSCRIPT.
    await this.commands.script('LOAD', PUBLISH);
    const tail = (await this.commands.xrevrange(
      this.keys.stream,
      '+',
      '-',
      'COUNT',
      this.options.retention,
    )) as StreamEntries;
    this.ingest(tail.reverse());

    // Ticker: adopt the shared settings, or share ours; follow changes; take part in the lease.
    const shared = await this.commands.get(this.keys.ticker);
    if (shared) ticker.update(JSON.parse(shared) as TickerState);
    else await this.commands.set(this.keys.ticker, JSON.stringify(ticker.settings), 'NX');
    this.subscriber.on('message', (_channel: string, message: string) => {
      ticker.update(JSON.parse(message) as FeedSettings);
    });
    await this.subscriber.subscribe(this.keys.ticker);

    this.running = true;
    this.readLoopDone = this.readLoop();
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease(), LEASE_RENEW_MS);
    this.leaseTimer.unref();
  }

  publish(data: unknown): Promise<PublishResult> {
    const dataJson = JSON.stringify(data ?? null);
    const ts = nowMs();
    return this.sendPublish(ts, dataJson).then(
      (answer) => this.published(answer, ts, dataJson),
      (error: Error) => {
        if (!error.message.includes('NOSCRIPT')) throw this.publishFailed(error);
        // Redis lost its script cache (a restart): ioredis' script path loads it (EVAL) and answers.
        return this.commands
          .labPublish(...this.publishArgs(ts, dataJson))
          .then((answer) => this.published(answer, ts, dataJson))
          .catch((again: Error) => {
            throw this.publishFailed(again);
          });
      },
    );
  }

  /**
   * The ticker's publish: the same as `publish`, without the promise its caller would only discard
   * (one `then` per message instead of an async function, an await and a `catch`).
   */
  private readonly publishForTicker = (data: unknown): void => {
    this.publish(data).then(undefined, ignore);
  };

  /**
   * One EVALSHA of the PUBLISH script, sent as a plain command: ioredis' script path would add, per
   * message, a wrapped command class, two argument copies, a `catch` for NOSCRIPT and a callback
   * adapter (docs/scale-out.md, "What the broker costs"). NOSCRIPT is handled by `publish`.
   */
  private sendPublish(ts: number, dataJson: string): Promise<[string, number, string]> {
    const command = new Command('evalsha', [PUBLISH_SHA, 3, ...this.publishArgs(ts, dataJson)], {
      replyEncoding: 'utf8',
    });
    this.commands.sendCommand(command);
    return command.promise as Promise<[string, number, string]>;
  }

  private publishArgs(ts: number, dataJson: string): [string, string, string, string, number, string, string, string] {
    const { keys } = this;
    return [
      keys.epoch,
      keys.seq,
      keys.stream,
      newEpoch(),
      this.options.retention,
      String(ts),
      dataJson,
      this.options.instance,
    ];
  }

  private publishFailed(error: Error): Error {
    this.publishFailures += 1;
    return new FeedUnavailableError(error.message);
  }

  /**
   * Ours is the next message of this replica: append it now, exactly as the XREAD would
   * (same epoch, seq, ts and data). Everything before it in the stream has a smaller seq, so it is
   * here already, and the XREAD may go on from this id. Otherwise (a message of another instance
   * in between, a new epoch) the XREAD brings it, in order.
   */
  private published(answer: [string, number, string], ts: number, dataJson: string): PublishResult {
    const [epoch, seqText, id] = answer;
    const seq = Number(seqText);
    const feed = this.feed;
    if (feed && epoch === feed.epoch && seq === feed.head + 1) {
      feed.append(seq, ts, dataJson);
      if (compareStreamIds(id, this.lastId) > 0) this.lastId = id;
    }
    return { epoch, seq };
  }

  async updateTicker(settings: FeedSettings): Promise<void> {
    const ticker = this.ticker as Ticker;
    const next = { ...ticker.settings, ...settings };
    try {
      await this.commands.set(this.keys.ticker, JSON.stringify(next));
      await this.commands.publish(this.keys.ticker, JSON.stringify(next));
    } catch (error) {
      throw new FeedUnavailableError((error as Error).message);
    }
    // Our own subscription applies it too; applying here as well makes the answer current.
    ticker.update(next);
  }

  settle(cursor: Cursor<string | null>): Promise<void> | null {
    const feed = this.feed as Feed;
    const newerEpoch = cursor.epoch !== null && cursor.epoch !== feed.epoch && !feed.pastEpochs.has(cursor.epoch);
    const ahead = (cursor.epoch === null || cursor.epoch === feed.epoch) && cursor.seq > feed.head;
    if (!newerEpoch && !ahead) return null;
    return this.catchUp(cursor).catch(() => {});
  }

  status(): BackendStatus {
    const connected = this.commands.status === 'ready' && this.reader.status === 'ready';
    return { kind: 'redis', connected, publishFailures: this.publishFailures };
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = null;
    this.ticker?.setActive(false);
    // Give up the lease so another instance takes over the ticker at once.
    if (this.started)
      await this.commands
        .eval(
          "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
          1,
          this.keys.lease,
          this.options.instance,
        )
        .catch(() => {});
    this.reader.disconnect();
    this.subscriber.disconnect();
    this.commands.disconnect();
    await this.readLoopDone;
  }

  /* ---------------------------------------------------------------- internals */

  private async readLoop(): Promise<void> {
    /** The last XREAD brought only messages this instance published (it appends those from the publish's answer). */
    let onlyOwn = false;
    let sentAt = 0;
    while (this.running) {
      if (onlyOwn) {
        const wait = sentAt + OWN_READ_GAP_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!this.running) return;
      }
      sentAt = performance.now();
      let answer: [string, StreamEntries][] | null;
      try {
        answer = (await this.reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.keys.stream,
          this.lastId,
        )) as [string, StreamEntries][] | null;
      } catch {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const entries = answer?.[0]?.[1];
      onlyOwn = entries !== undefined && entries.length > 0 && this.ingest(entries) === 0;
      if (entries) this.reads += 1;
      // Idle, or a while since the last look: has Redis lost the stream meanwhile?
      if (!entries || performance.now() - this.lastEpochCheck > 2 * BLOCK_MS) await this.checkEpoch().catch(() => {});
    }
  }

  /**
   * Append stream entries to the replica; an entry of an unknown epoch means Redis started a new one.
   * Returns how many were published by another instance (or changed the epoch): 0 means only ours.
   */
  private ingest(entries: StreamEntries): number {
    const feed = this.feed as Feed;
    let foreign = 0;
    for (const [id, fields] of entries) {
      // Fields as the PUBLISH script writes them: e, s, t, d, i (the publishing instance).
      const epoch = fields[1] as string;
      if (epoch !== feed.epoch) {
        if (feed.pastEpochs.has(epoch)) continue;
        feed.adoptEpoch(epoch, 0);
        foreign += 1;
      }
      if (fields[9] !== this.options.instance) foreign += 1;
      feed.append(Number(fields[3]), Number(fields[5]), fields[7] as string);
      // Our own publishes may have moved lastId past this entry already: never step back.
      if (compareStreamIds(id, this.lastId) > 0) this.lastId = id;
    }
    return foreign;
  }

  /** Compare the epoch in Redis with ours; adopt (after making one, if Redis lost it) when they differ. */
  private async checkEpoch(): Promise<void> {
    this.lastEpochCheck = performance.now();
    const feed = this.feed as Feed;
    const [epoch] = await this.commands.labEnsureEpoch(this.keys.epoch, this.keys.seq, this.keys.stream, newEpoch());
    if (epoch === feed.epoch) return;
    feed.adoptEpoch(epoch, 0);
    // The new stream's ids may sort before our last one: read it from its start.
    this.lastId = '0-0';
  }

  private async catchUp(cursor: Cursor<string | null>): Promise<void> {
    const feed = this.feed as Feed;
    const [epochInRedis, seqInRedis] = await this.commands.mget(this.keys.epoch, this.keys.seq);
    if (cursor.epoch !== null && cursor.epoch !== feed.epoch) {
      // A cursor from Redis' current epoch, which this replica has not adopted yet.
      if (cursor.epoch !== epochInRedis) return;
      await this.checkEpoch();
    }
    if (cursor.seq > Number(seqInRedis ?? 0)) return; // ahead of Redis too: a true future cursor
    await waitFor(feed, () => feed.epoch === epochInRedis && feed.head >= cursor.seq, SETTLE_MS);
  }

  private async renewLease(): Promise<void> {
    const ticker = this.ticker as Ticker;
    try {
      const held = await this.commands.labLease(this.keys.lease, this.options.instance, LEASE_MS);
      ticker.setActive(this.running && held === 1);
    } catch {
      // Without Redis nobody can publish: stay quiet until the lease is ours again.
      ticker.setActive(false);
    }
  }
}

/** Orders two stream ids (`<ms>-<n>`): negative, zero or positive, as Redis sorts them. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aN = 0] = a.split('-').map(Number);
  const [bMs = 0, bN = 0] = b.split('-').map(Number);
  return aMs !== bMs ? aMs - bMs : aN - bN;
}

/** Resolves when `predicate` holds (checked on every append or reset of `feed`), or after `ms`. */
function waitFor(feed: Feed, predicate: () => boolean, ms: number): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const check = () => {
      if (predicate()) done();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = feed.subscribe(check, check);
  });
}
