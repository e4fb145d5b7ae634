/**
 * The Host guard remembers the last few Host values it accepted (server/security/host.ts), so a
 * keep-alive client's identical Host is not worked out again per request. Remembering must never
 * change an answer: a foreign Host is refused however many loopback ones came before it (and
 * however often it is sent), the memory stays bounded, and a new list of allowed hosts starts it
 * afresh (a host no longer allowed is refused at once).
 */
import { describe, expect, it } from 'vitest';
import { ForeignHostError } from '../../server/errors.js';
import type { Lab } from '../../server/lab.js';
import { hostRefusal } from '../../server/security/host.js';

function guard(allowedHosts: string[]) {
  const lab = { options: { allowedHosts } } as unknown as Lab;
  const refusal = hostRefusal(lab);
  const ask = (host: string | undefined, localAddress = '127.0.0.1') =>
    refusal({ socket: { localAddress }, headers: { host } });
  return { lab, ask };
}

describe('the Host guard, remembering what it accepted', () => {
  it('refuses a foreign Host after any number of accepted ones, every time', () => {
    const { ask } = guard([]);
    for (let i = 0; i < 40; i++) {
      expect(ask(`127.0.0.${i % 12}:3000`)).toBeUndefined();
      expect(ask('localhost:3000')).toBeUndefined();
      const refused = ask('evil.example:3000');
      expect(refused).toBeInstanceOf(ForeignHostError);
      expect(refused?.message).toContain('evil.example:3000');
    }
    expect(ask(undefined)).toBeUndefined();
    // A lab bound beyond loopback answers any Host there.
    expect(ask('evil.example', '192.168.1.5')).toBeUndefined();
  });

  it('forgets a host the new list no longer allows', () => {
    const { lab, ask } = guard(['lab.test']);
    expect(ask('lab.test:3000')).toBeUndefined();
    expect(ask('lab.test:3000')).toBeUndefined();
    (lab.options as { allowedHosts: string[] }).allowedHosts = [];
    expect(ask('lab.test:3000')).toBeInstanceOf(ForeignHostError);
    expect(ask('LOCALHOST')).toBeUndefined();
  });
});
