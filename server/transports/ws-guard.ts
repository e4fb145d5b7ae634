/**
 * What the WebSocket route checks that `ws` does not, or answers differently:
 *
 * - The upgrade request (RFC 6455 §4.2.1): `Sec-WebSocket-Version` must be 13 and
 *   `Sec-WebSocket-Key` 16 bytes in base64; otherwise 400 with `Sec-WebSocket-Version: 13`
 *   (§4.4: the version this server speaks). `ws` would also accept version 8 (a 2011 draft).
 * - Fragments: a message split into more than `wsMaxFragments` data frames closes 1009. Empty
 *   continuation frames cost nothing toward the 64 KiB payload limit and are not messages to the
 *   frame budget, so without this a peer could send them forever.
 * - An unfinished fragmented message: one not completed within `wsFragmentTimeoutMs` closes 1008
 *   (policy), instead of holding its fragments until the connection ends.
 *
 * The fragment count reads each frame as ws's Receiver takes it (its `getData` step, where the
 * frame's FIN bit and opcode are known). That is ws's internal API (ws 8): `guardFragments`
 * checks it is there and throws at the first connection otherwise, and test/bad-input-ws.test.ts
 * sends real fragments, so a ws upgrade that changes it fails loudly, never silently.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { BadUpgradeError } from '../errors.js';

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** Refuses a malformed upgrade before ws sees it (preValidation of the WebSocket route). */
export function checkUpgradeHeaders(request: FastifyRequest, reply: FastifyReply): void {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return; // not an upgrade: the route says so itself
  const version = request.headers['sec-websocket-version'];
  const key = request.headers['sec-websocket-key'];
  let problem: string | null = null;
  if (version !== '13') problem = `Sec-WebSocket-Version must be 13, got ${JSON.stringify(version ?? null)}`;
  else if (typeof key !== 'string' || !KEY.test(key) || Buffer.from(key, 'base64').length !== 16)
    problem = 'Sec-WebSocket-Key must be 16 bytes in base64 (24 characters ending in ==)';
  if (problem === null) return;
  reply.header('sec-websocket-version', '13');
  throw new BadUpgradeError(problem);
}

interface ReceiverInternals {
  _fin: boolean;
  _opcode: number;
  getData(cb: unknown): unknown;
  [GUARDED]?: FragmentGuarded;
}

export interface FragmentLimits {
  maxFragments: number;
  timeoutMs: number;
}

/**
 * The connection whose frames are counted: it keeps the count and the timer itself (two fields,
 * not an object of their own per socket) and hears a violation, on which it closes with the code
 * and reason.
 */
export interface FragmentGuarded {
  readonly fragmentLimits: FragmentLimits;
  /** Data frames of the unfinished message so far (its non-final frames). */
  fragments: number;
  /** Runs while a fragmented message is unfinished. */
  fragmentTimer: NodeJS.Timeout | null;
  violation(code: number, reason: string): void;
}

const GUARDED = Symbol('fragment guard');

/** Forget the unfinished message's timer (a message completed, or the socket closed). */
export function stopFragmentTimer(guarded: FragmentGuarded): void {
  if (guarded.fragmentTimer !== null) clearTimeout(guarded.fragmentTimer);
  guarded.fragmentTimer = null;
}

function unfinished(guarded: FragmentGuarded): void {
  guarded.fragmentTimer = null;
  guarded.violation(1008, `fragmented message not finished within ${guarded.fragmentLimits.timeoutMs} ms`);
}

/** Every guarded receiver's `getData`, one function for all (`this` is the receiver). */
function guardedGetData(this: ReceiverInternals, cb: unknown): unknown {
  const guarded = this[GUARDED] as FragmentGuarded;
  // Control frames (opcode ≥ 8) may come between fragments; they are not part of the message.
  if (this._opcode < 0x08) {
    if (this._fin) {
      guarded.fragments = 0;
      stopFragmentTimer(guarded);
    } else {
      guarded.fragments += 1;
      const limits = guarded.fragmentLimits;
      if (guarded.fragments === 1) {
        guarded.fragmentTimer = setTimeout(unfinished, limits.timeoutMs, guarded);
        guarded.fragmentTimer.unref();
      }
      // fragments counts the non-final frames; with the final one the message has fragments + 1.
      if (guarded.fragments + 1 > limits.maxFragments) {
        stopFragmentTimer(guarded);
        guarded.violation(1009, `message in more than ${limits.maxFragments} fragments`);
      }
    }
  }
  // Then ws's own getData, its Receiver.prototype's (the check below made sure it is there).
  return (Object.getPrototypeOf(this) as ReceiverInternals).getData.call(this, cb);
}

/** Counts the data frames of each message on `socket` into `guarded`, which hears once a limit is passed. */
export function guardFragments(socket: WebSocket, guarded: FragmentGuarded): void {
  const receiver = (socket as unknown as { _receiver?: ReceiverInternals })._receiver;
  const own = receiver === undefined ? undefined : Object.getPrototypeOf(receiver)?.getData;
  if (!receiver || typeof own !== 'function' || receiver.getData !== own || typeof receiver._fin !== 'boolean') {
    throw new Error('ws-guard: ws Receiver internals (getData, _fin, _opcode) not found: check the ws version');
  }
  receiver[GUARDED] = guarded;
  receiver.getData = guardedGetData;
}
