/**
 * Renders a chart.js configuration to PNG in Node, on an @napi-rs/canvas canvas (no DOM, no
 * browser: chart.js falls back to its basic platform when there is no `window`).
 */
import { existsSync } from 'node:fs';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin, registerables } from 'chart.js';
import { logTickLabel } from '../../charts/axes.js';
import { errorBarsPlugin } from './charts/error-bars.js';

Chart.register(...registerables);

export interface PngSize {
  width: number;
  height: number;
}

/** Families tried in order; the first one the canvas knows becomes chart.js's font. */
const FONT_FAMILIES = ['Liberation Sans', 'DejaVu Sans', 'Arial', 'Helvetica', 'Noto Sans'];
/** Where Debian puts them, in case fontconfig did not list them (fonts-liberation, fonts-dejavu-core). */
const FONT_FILES = [
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

let fontReady = false;

/**
 * Points chart.js at a font the canvas really has. Without one, every glyph is missing and the
 * PNG shows bars with no text at all — valid, not blank, and useless.
 */
function ensureFont(): void {
  if (fontReady) return;
  fontReady = true;
  const known = () => FONT_FAMILIES.find((f) => GlobalFonts.has(f));
  if (!known()) for (const file of FONT_FILES) if (existsSync(file)) GlobalFonts.registerFromPath(file);
  const family = known();
  if (family) Chart.defaults.font.family = `'${family}', sans-serif`;
}

/** Paints the canvas white under the chart: a PNG is transparent otherwise. */
const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** A deep copy that keeps functions: chart.js writes into the config it is given. */
function cloneConfig<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneConfig) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneConfig(v)])) as T;
  }
  return value;
}

/** Gives every logarithmic axis without a tick callback the 1–2–5 labels (see `logTickLabel`). */
function labelLogTicks(config: ChartConfiguration): void {
  const scales = (config.options?.scales ?? {}) as Record<
    string,
    { type?: string; ticks?: Record<string, unknown> } | undefined
  >;
  for (const scale of Object.values(scales)) {
    if (scale?.type === 'logarithmic' && scale.ticks?.callback === undefined) {
      // The callback keeps labels sparse itself; chart.js's auto-skip would drop some of the 1–2–5.
      // Horizontal labels: the 1–2–5 ones have room, and chart.js would tilt them for the blank ticks.
      scale.ticks = { ...scale.ticks, callback: logTickLabel, autoSkip: false, maxRotation: 0 };
    }
  }
}

export async function renderPng(config: ChartConfiguration, size: PngSize): Promise<Buffer> {
  ensureFont();
  const canvas = createCanvas(size.width, size.height);
  const copy = cloneConfig(config);
  copy.options = {
    ...copy.options,
    // A fixed-size canvas: no resize observer, no retina scaling, drawn at once.
    responsive: false,
    maintainAspectRatio: false,
    animation: false,
    devicePixelRatio: 1,
  } as typeof copy.options;
  labelLogTicks(copy);
  copy.plugins = [...(copy.plugins ?? []), whiteBackground, errorBarsPlugin()];
  // chart.js types its item as a DOM canvas; @napi-rs/canvas's context has the same drawing API.
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], copy);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}
