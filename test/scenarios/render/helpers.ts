import { createCanvas, loadImage } from '@napi-rs/canvas';
import { at } from '../../../contract/present.js';
import { chartConfigs } from '../../../scenarios/render/charts/index.js';
import type { Summary } from '../../../scenarios/summary.js';

export const ESC = String.fromCharCode(27);
export const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** A chart config as the plain data it is, typed loosely enough to poke at in tests. */
export interface TestScale {
  type?: string;
  min?: number;
  max?: number;
  title?: { display?: boolean; text?: string };
  ticks?: { callback?: (value: number) => string };
}
export interface TestDataset {
  label?: string;
  type?: string;
  stack?: string;
  data: unknown[];
  borderDash?: number[];
  backgroundColor?: unknown;
  borderColor?: unknown;
}
export interface TestConfig {
  data: { labels?: unknown[]; datasets: TestDataset[] };
  options: {
    animation?: boolean;
    responsive?: boolean;
    maintainAspectRatio?: boolean;
    plugins: {
      title: { display?: boolean; text?: string };
      subtitle: { text?: string };
      legend: { display?: boolean };
    };
    /** Every chart here has an x and a y axis; others (y1) are looked up. */
    scales: { x: TestScale; y: TestScale } & Record<string, TestScale | undefined>;
  };
}
export const view = (config: unknown) => config as TestConfig;

/** The table line of a transport in a given section (matched with colour codes ignored). */
export function rowOf(text: string, section: string, transport: string): string {
  const lines = text.split('\n');
  const plain = (l: string) => l.replace(ANSI, '');
  const start = lines.findIndex((l) => plain(l).startsWith(section));
  if (start < 0) throw new Error(`no section ${section}`);
  const row = lines.slice(start).find((l) => plain(l).startsWith(`${transport} `));
  if (!row) throw new Error(`no row for ${transport} under ${section}`);
  return row;
}

export const cells = (row: string) => row.trim().split(/\s{2,}/);

/** Decodes a PNG and returns its RGBA pixels. */
export async function pixels(png: Buffer) {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

/** The red, green, blue and alpha bytes of the pixel that starts at byte `i` of RGBA data. */
export const rgbaAt = (data: Uint8ClampedArray, i: number) =>
  [at(data, i), at(data, i + 1), at(data, i + 2), at(data, i + 3)] as const;

export const hex = (r: number, g: number, b: number) =>
  `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`.toUpperCase();

/** The lines of one table: from its title to the blank line after it. */
export function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start < 0) throw new Error(`no table ${title}`);
  const end = lines.indexOf('', start);
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The row of a table whose first cells are `first` (as split by `cells`). */
export function rowStarting(lines: string[], ...first: string[]): string[] {
  const row = lines.map(cells).find((c) => first.every((f, i) => c[i] === f));
  if (!row) throw new Error(`no row ${first.join(' ')}`);
  return row;
}

export const datasetsOf = (chart: { config: unknown }) => view(chart.config).data.datasets;
export const chartFile = (summary: Summary, file: string) => {
  const chart = chartConfigs(summary).find((c) => c.file === file);
  if (!chart) throw new Error(`no chart ${file}`);
  return chart;
};
export const subtitle = (chart: { config: unknown }) => {
  const text = view(chart.config).options.plugins.subtitle.text as unknown;
  return Array.isArray(text) ? text.join('\n') : String(text);
};
