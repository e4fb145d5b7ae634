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
}

export interface FragmentLimits {
  maxFragments: number;
  timeoutMs: number;
}

/** Counts the data frames of each message on `socket`; calls `violation` once a limit is passed. */
export function guardFragments(
  socket: WebSocket,
  limits: FragmentLimits,
  violation: (code: number, reason: string) => void,
): () => void {
  const receiver = (socket as unknown as { _receiver?: ReceiverInternals })._receiver;
  if (!receiver || typeof receiver.getData !== 'function' || typeof receiver._fin !== 'boolean') {
    throw new Error('ws-guard: ws Receiver internals (getData, _fin, _opcode) not found: check the ws version');
  }
  let fragments = 0;
  let timer: NodeJS.Timeout | null = null;
  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const getData = receiver.getData;
  receiver.getData = function (this: ReceiverInternals, cb: unknown) {
    // Control frames (opcode ≥ 8) may come between fragments; they are not part of the message.
    if (this._opcode < 0x08) {
      if (this._fin) {
        fragments = 0;
        clear();
      } else {
        fragments += 1;
        if (fragments === 1) {
          timer = setTimeout(
            () => violation(1008, `fragmented message not finished within ${limits.timeoutMs} ms`),
            limits.timeoutMs,
          );
          timer.unref();
        }
        // fragments counts the non-final frames; with the final one the message has fragments + 1.
        if (fragments + 1 > limits.maxFragments) {
          clear();
          violation(1009, `message in more than ${limits.maxFragments} fragments`);
        }
      }
    }
    return getData.call(this, cb);
  };
  return clear;
}
