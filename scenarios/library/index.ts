/** The standard scenarios, one file each, registered here (the CLI's `--list` reads this). */
import type { Scenario } from '../define.js';
import busyFeed from './busy-feed.js';
import classroom from './classroom.js';
import fanOut from './fan-out.js';
import h1VsH2 from './h1-vs-h2.js';
import intermediaries from './intermediaries.js';
import networkProfiles from './network-profiles.js';
import networkQuiet from './network-quiet.js';
import networkRecovery from './network-recovery.js';
import payloadSweep from './payload-sweep.js';
import pollIntervalSweep from './poll-interval-sweep.js';
import quietFeed from './quiet-feed.js';
import reconnect from './reconnect.js';
import reconnectEqualWait from './reconnect-equal-wait.js';
import scaleOut from './scale-out.js';
import smoke from './smoke.js';
import storm from './storm.js';
import wsFraming from './ws-framing.js';

export const SCENARIOS: readonly Scenario[] = [
  smoke,
  quietFeed,
  busyFeed,
  pollIntervalSweep,
  payloadSweep,
  fanOut,
  reconnect,
  reconnectEqualWait,
  networkProfiles,
  networkQuiet,
  networkRecovery,
  intermediaries,
  h1VsH2,
  wsFraming,
  classroom,
  scaleOut,
  storm,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
