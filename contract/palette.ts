/**
 * One colour per transport, everywhere — the dashboard's lanes (web/) and the scenario charts
 * (scenarios/render/) — from the Okabe–Ito palette, readable by the colour-blind: the polls warm,
 * the streams cool.
 */
import type { TransportName } from './index.js';

export const TRANSPORT_COLORS: Record<TransportName, string> = {
  'short-poll': '#D55E00',
  'long-poll': '#CC79A7',
  sse: '#0072B2',
  websocket: '#009E73',
};

/** The three channels of `#rrggbb`. */
export function rgbChannels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = rgbChannels(hex);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
