/**
 * The look every chart shares: the colours, the title, subtitle and legend, and the plain-data
 * `ChartSpec` a chart is handed on as (docs/architecture.md). Pure: configs hold plain data only — no
 * callbacks — so they survive `JSON.stringify` into report.html.
 */
import type { ChartConfiguration } from 'chart.js';
import { rgbChannels, TRANSPORT_COLORS, withAlpha } from '../contract/index.js';
import { isNum, type Maybe } from './numbers.js';

/** One colour per transport, everywhere: the contract's palette (contract/palette.ts). */
export { TRANSPORT_COLORS, withAlpha };

/**
 * Colours of what is no transport: a dark grey (also the subtitles'), the Okabe–Ito orange no
 * transport has, and near-black.
 */
export const GREY = '#4b5563';
export const ORANGE = '#E69F00';
export const INK = '#111827';

/** Text and grid lines. */
export const TEXT = '#1f2937';
export const GRID = '#e5e7eb';

export interface ChartSpec {
  /** File name of the PNG (and id of the chart in report.html). */
  file: string;
  title: string;
  config: ChartConfiguration;
}

/** A data value; null where it is unknown (chart.js leaves a gap). */
export type Value = number | null;

export const finite = (v: Maybe): Value => (isNum(v) ? v : null);

/** The colour mixed with black: `amount` 0 keeps it, 1 is black. */
export function darken(hex: string, amount: number): string {
  const [r, g, b] = rgbChannels(hex).map((c) => Math.round(c * (1 - amount)));
  return `rgb(${r}, ${g}, ${b})`;
}

/** About this many characters of 12 px subtitle fit across a 1 100 px chart, with margins. */
const SUBTITLE_CHARS = 150;

/** Subtitle parts joined by ' · ', wrapped into lines that fit the chart's width. */
function subtitleLines(parts: string[], max = SUBTITLE_CHARS): string[] {
  const lines: string[] = [];
  for (const part of parts.filter((p) => p !== '')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 3 + part.length <= max) lines[lines.length - 1] = `${last} · ${part}`;
    else lines.push(part);
  }
  return lines;
}

/** The first subtitle part of every chart: which run it is. */
export function runLine(summary: { scenario: string; startedAt: string }): string {
  return `scenario ${summary.scenario} · ${summary.startedAt}`;
}

/** Title, subtitle and legend, no animation: the options every chart starts from. */
export function baseOptions(title: string, subtitle: string | string[]) {
  const lines = Array.isArray(subtitle) ? subtitleLines(subtitle) : subtitleLines([subtitle]);
  return {
    animation: false as const,
    plugins: {
      title: {
        display: true,
        text: title,
        color: TEXT,
        font: { size: 17, weight: 'bold' as const },
        padding: { top: 8, bottom: 2 },
      },
      subtitle: {
        display: lines.length > 0,
        text: lines.length === 1 ? lines[0] : lines,
        color: GREY,
        font: { size: 12 },
        padding: { bottom: 8 },
      },
      legend: {
        display: true,
        position: 'top' as const,
        labels: { color: TEXT, font: { size: 12 } } as Record<string, unknown>,
      },
    },
  };
}
