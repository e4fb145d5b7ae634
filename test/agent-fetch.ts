/**
 * A minimal fetch over node:http with a keep-alive Agent of the caller's own, for tests that need
 * one client's requests on one client's sockets (the global fetch pools sockets across clients,
 * so a "cut this client" could land on a socket another client is about to reuse).
 */
import http from 'node:http';
import type { FetchInit, FetchLike } from '../client/transports/types.js';

export function agentFetch(agent = new http.Agent({ keepAlive: true, maxSockets: 1 })): FetchLike {
  return (url: string, init: FetchInit = {}) =>
    new Promise((resolve, reject) => {
      const request = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({ status: response.statusCode ?? 0, text: async () => body });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      init.signal?.addEventListener('abort', () => request.destroy(new Error('aborted')), { once: true });
      request.end(init.body);
    });
}
