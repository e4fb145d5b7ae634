/**
 * The one shape every transport has: a name and a Fastify plugin, registered by server/app.ts as
 * `app.register(transport.plugin, { lab })`. A transport's plugin serves its route (tagged with
 * `config: { transport }` so the accounting hook files its traffic under it) and reports what only
 * it knows through `lab.accounting` (delivered, reset, emptyAnswer, openStream). Its routes' schemas
 * (server/query.ts) type their requests through Fastify's TypeBox type provider.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TransportName } from '../../contract/index.js';
import type { LabPluginOptions } from '../lab.js';

export interface Transport {
  name: TransportName;
  plugin: FastifyPluginAsyncTypebox<LabPluginOptions>;
}

export function defineTransport(name: TransportName, plugin: FastifyPluginAsyncTypebox<LabPluginOptions>): Transport {
  return { name, plugin };
}
