/**
 * What a dashboard lane knows about its own transport, in one place per transport
 * (web/src/lanes/<transport>.ts): its names, route and help line, its settings row, and what a
 * network profile's middleboxes do to it. Generic code (lane-view.ts, network.ts, comparison.ts,
 * chat.ts, wire-log.ts) asks the registry in index.ts and never names a transport. The colour is
 * the contract's (contract/palette.ts), shared with the scenario charts.
 */
import { h } from '../dom.js';
import type { Lane } from '../lane.js';

export interface LaneKind {
  /** The lane's heading and chart label: "Short polling". */
  label: string;
  /** In tables and legends: "short poll". */
  short: string;
  /** How the browser reaches the server: "fetch GET /api/poll". */
  route: string;
  /** One line for students: what to look at in this lane. */
  help: string;
  /** The lane's own settings, under its controls (a `.lane-settings` block). */
  settings(lane: Lane): HTMLElement;
  /** Behind a proxy that buffers a response's body up to `kib` ("64 KiB"): what happens (network.ts). */
  behindBufferingProxy(kib: string): string;
  /** Behind a middlebox that forgets quiet connections after `seconds` ("30 s"); null: nothing to say. */
  behindIdleTimeout(seconds: string): string | null;
}

/** A buffering proxy and a transport whose answers end: nothing waits (both polls, Engine.IO's polling). */
export function answersPassWhole(): string {
  return 'Behind a buffering proxy: each poll answer ends, so it passes whole as soon as it is complete.';
}

/** A `<select>` of durations in a `label.setting`: `apply` gets the chosen value, ms. */
export function durationChoice(
  options: { label: string; action: string; title: string; values: number[]; current: number },
  apply: (ms: number) => void,
): HTMLElement {
  const select = h('select', { 'data-action': options.action });
  for (const v of options.values)
    select.append(h('option', { value: v, selected: v === options.current }, v < 1_000 ? `${v} ms` : `${v / 1_000} s`));
  select.addEventListener('change', () => apply(Number(select.value)));
  return h('label', { class: 'setting', title: options.title }, `${options.label} `, select);
}
