/** The one shape every transport has: a name and a Fastify plugin given the shared lab state. */
import type { FastifyInstance } from 'fastify';
import type { TransportName } from '../../contract/index.js';
import type { Lab } from '../lab.js';

export interface Transport {
  name: TransportName;
  register(app: FastifyInstance, lab: Lab): Promise<void>;
}

export function defineTransport(name: TransportName, register: Transport['register']): Transport {
  return { name, register };
}
