/**
 * The house rule for adding a transport (docs/architecture.md, "Adding a transport: the five
 * places"): one file in each of server/transports, client/transports, web/src/lanes and
 * scenarios/clients, each registered in its folder's index.ts, and one entry in contract/. This
 * test reads the folders and the registries, so a transport added to TRANSPORTS without its four
 * files fails here with the paths it lacks.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENTS } from '../client/transports/index.js';
import { ROUTES, TRANSPORT_COLORS, TRANSPORTS } from '../contract/index.js';
import { SCENARIO_CLIENTS } from '../scenarios/clients/index.js';
import { transports as SERVER_TRANSPORTS } from '../server/transports/index.js';
import { LANE_KINDS } from '../web/src/lanes/index.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The four folders, each with the registry (its index.ts) that must hold every transport. */
const PLACES: { folder: string; registry: Record<string, unknown> }[] = [
  { folder: 'server/transports', registry: SERVER_TRANSPORTS },
  { folder: 'client/transports', registry: CLIENTS },
  { folder: 'web/src/lanes', registry: LANE_KINDS },
  { folder: 'scenarios/clients', registry: SCENARIO_CLIENTS },
];

/** `socket.io` lives in `socket-io.ts`: a file name without the dot. */
function fileOf(transport: string): string {
  return `${transport.replace(/\./g, '-')}.ts`;
}

/** What `transports` lack: a missing file or registry entry per place, a missing contract entry. */
function missingParts(transports: readonly string[], exists: (path: string) => boolean): string[] {
  const missing: string[] = [];
  for (const t of transports) {
    for (const { folder, registry } of PLACES) {
      const path = `${folder}/${fileOf(t)}`;
      if (!exists(path)) missing.push(`${path}: no such file`);
      if (!(t in registry)) missing.push(`${folder}/index.ts: no entry for ${t}`);
    }
    if (!(t in ROUTES)) missing.push(`contract/index.ts ROUTES: no entry for ${t}`);
    if (!(t in TRANSPORT_COLORS)) missing.push(`contract/palette.ts TRANSPORT_COLORS: no entry for ${t}`);
  }
  return missing;
}

const onDisk = (path: string) => existsSync(`${ROOT}${path}`);

describe('a transport in the five places', () => {
  it('every transport in TRANSPORTS has its file and registry entry in each folder, and its contract entry', () => {
    expect(missingParts(TRANSPORTS, onDisk)).toEqual([]);
  });

  it('each registry holds exactly the transports of TRANSPORTS, in their order', () => {
    for (const { folder, registry } of PLACES) expect(Object.keys(registry), folder).toEqual([...TRANSPORTS]);
  });

  it('a transport added to the contract alone is reported with every place it lacks', () => {
    expect(missingParts(['carrier-pigeon'], onDisk)).toEqual([
      ...PLACES.flatMap(({ folder }) => [
        `${folder}/carrier-pigeon.ts: no such file`,
        `${folder}/index.ts: no entry for carrier-pigeon`,
      ]),
      'contract/index.ts ROUTES: no entry for carrier-pigeon',
      'contract/palette.ts TRANSPORT_COLORS: no entry for carrier-pigeon',
    ]);
  });
});
