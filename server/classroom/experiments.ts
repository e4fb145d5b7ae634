/**
 * Class-wide experiments, run by the instructor from the class view: "everyone cut now" (the server
 * drops every student lane's sockets at once) and "switch the feed to R msg/s". Each keeps the
 * class's recent numbers just before and CLASS_AFTER_MS after, for the before/after chart.
 */
import { CLASS_AFTER_MS, type ClassExperiment } from '../../contract/classroom.js';
import { BadFeedSettingsError } from '../errors.js';
import { validateSettings } from '../feed/ticker.js';
import type { Lab } from '../lab.js';
import type { Roster } from './roster.js';
import { aggregate } from './view.js';

/** Experiments kept for the view and the export; the oldest is dropped first. */
const KEEP = 20;

export type ExperimentRequest = { kind: 'cut-all' } | { kind: 'rate'; rate: number };

export class Experiments {
  readonly list: ClassExperiment[] = [];
  private nextId = 1;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly lab: Lab,
    private readonly roster: Roster,
  ) {}

  /** Runs one experiment now; a rate out of the feed's limits is a 400 LAB_BAD_FEED_SETTINGS. */
  run(request: ExperimentRequest): ClassExperiment {
    const before = aggregate(this.roster);
    let label: string;
    if (request.kind === 'cut-all') {
      this.roster.cuts++;
      const cut = this.lab.accounting.meter.destroyWhere(
        (who) => who.bucket !== 'other' && who.client !== null && this.roster.isClassClient(who.client),
      );
      label = `everyone cut (${cut} sockets)`;
    } else {
      let settings: ReturnType<typeof validateSettings>;
      try {
        settings = validateSettings({ rate: request.rate });
      } catch (error) {
        throw new BadFeedSettingsError((error as Error).message);
      }
      // Through the backend: behind a broker the change reaches every instance's ticker (one feed).
      // Memory applies it in this turn; a broker that is away leaves the rate as it was.
      void this.lab.backend.updateTicker(settings).catch(() => {});
      label = `feed → ${request.rate} msg/s`;
    }
    const experiment: ClassExperiment = {
      id: this.nextId++,
      kind: request.kind,
      label,
      at: before.at,
      before,
      after: null,
    };
    this.list.push(experiment);
    if (this.list.length > KEEP) this.list.shift();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      experiment.after = aggregate(this.roster);
    }, CLASS_AFTER_MS);
    timer.unref();
    this.timers.add(timer);
    return experiment;
  }

  clear(): void {
    this.stop();
    this.list.length = 0;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
