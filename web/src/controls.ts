/**
 * The feed controls in the header: rate (down to one message every 4 s, Lab 1's quiet feed), payload size, steady
 * or bursty, pause, and one hand-made message. They change the server's one feed (PUT /api/feed),
 * so every lane — and every other tab on this lab — sees the change.
 */
import { FEED_LIMITS, type FeedMode, type FeedState } from '../../contract/index.js';
import { api } from './api.js';
import { h, must, setText } from './dom.js';
import { bytes } from './format.js';

const RATES: [number, string][] = [
  [0.25, '0.25 /s (one every 4 s)'],
  [1, '1 /s'],
  [5, '5 /s'],
  [20, '20 /s'],
  [100, '100 /s'],
  [500, '500 /s'],
];
/** Sizes of the whole message JSON; the smallest is the least the envelope fits in. */
const PAYLOADS = [FEED_LIMITS.minPayloadBytes, 128, 512, 1_024, 4_096, 16_384, FEED_LIMITS.maxPayloadBytes];

function option(select: HTMLSelectElement, value: number, label: string): void {
  if ([...select.options].some((o) => Number(o.value) === value)) return;
  const element = h('option', { value }, label);
  const after = [...select.options].find((o) => Number(o.value) > value);
  select.insertBefore(element, after ?? null);
}

export class FeedControls {
  private readonly rate = must<HTMLSelectElement>('#feed-rate');
  private readonly payload = must<HTMLSelectElement>('#feed-payload');
  private readonly mode = must<HTMLSelectElement>('#feed-mode');
  private readonly pause = must<HTMLButtonElement>('#feed-pause');
  private readonly publish = must<HTMLButtonElement>('#feed-publish');
  private readonly summary = must('#feed-state');
  private state: FeedState | null = null;

  constructor(private readonly toast: (text: string) => void) {
    for (const [value, label] of RATES) option(this.rate, value, label);
    for (const value of PAYLOADS) option(this.payload, value, bytes(value));
    this.rate.addEventListener('change', () => void this.apply({ rate: Number(this.rate.value) }));
    this.payload.addEventListener('change', () => void this.apply({ payloadBytes: Number(this.payload.value) }));
    this.mode.addEventListener('change', () => void this.apply({ mode: this.mode.value as FeedMode }));
    this.pause.addEventListener('click', () => void this.apply({ running: !(this.state?.running ?? true) }));
    this.publish.addEventListener('click', () => {
      api
        .publish({ kind: 'manual', note: 'published by hand from the dashboard' })
        .catch((error: unknown) => this.toast((error as Error).message));
    });
  }

  /** Classroom mode, for a student: the feed is the instructor's, so its controls are shown, not used. */
  lock(reason: string): void {
    for (const control of [this.rate, this.payload, this.mode, this.pause, this.publish]) {
      control.disabled = true;
      control.title = reason;
    }
  }

  /** The feed's settings as last seen, null until loaded. */
  get current(): FeedState | null {
    return this.state;
  }

  async load(): Promise<void> {
    this.show(await api.feed());
  }

  private async apply(settings: Parameters<typeof api.setFeed>[0]): Promise<void> {
    try {
      this.show(await api.setFeed(settings));
    } catch (error) {
      this.toast((error as Error).message);
      if (this.state !== null) this.show(this.state);
    }
  }

  private show(state: FeedState): void {
    this.state = state;
    option(this.rate, state.rate, `${state.rate} /s`);
    option(this.payload, state.payloadBytes, bytes(state.payloadBytes));
    this.rate.value = String(state.rate);
    this.payload.value = String(state.payloadBytes);
    this.mode.value = state.mode;
    setText(this.pause, state.running ? 'Pause feed' : 'Resume feed');
    this.pause.classList.toggle('paused', !state.running);
    setText(this.summary, `epoch ${state.epoch} · keeps last ${state.retention.toLocaleString('en-US')} for resume`);
  }
}
