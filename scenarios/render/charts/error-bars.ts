/**
 * Error bars for a repeated run (`--repeat N`, scenarios/repeat.ts). A chart's value is then the mean of
 * the runs; a dataset may carry `errorBars`, one entry per data value: the mean ± one sample standard
 * deviation (the whisker) and every run's own value (a dot). chart.js has no error bars, so a small
 * plugin draws them over each bar or point. Configs stay plain data (docs/architecture.md): the plugin
 * is code, written once as text, registered by png.ts in Node and put into report.html beside chart.js.
 */
import type { Plugin } from 'chart.js';
import { mean, type RepeatReport, sampleSd } from '../../repeat.js';
import type { Summary } from '../../summary.js';
import { isNum } from '../table/format.js';

/** One value's spread over the runs: whisker from `lo` to `hi` (mean ∓ SD), a dot per run. */
export interface ErrorBar {
  lo: number;
  hi: number;
  runs: number[];
}

const runsOf = (summary: Summary): Summary[] => (summary as { repeat?: RepeatReport }).repeat?.perRun ?? [];

/** Whether the summary is the mean of repeated runs. */
export const isRepeated = (summary: Summary): boolean => runsOf(summary).length > 1;

/**
 * The error bar of one value: `read` picks it out of a run's summary. Null when the summary is no
 * repeat or some run lacks the value.
 */
export function errorBar(summary: Summary, read: (run: Summary) => number | null | undefined): ErrorBar | null {
  const values = runsOf(summary).map(read);
  if (values.length < 2 || !values.every(isNum)) return null;
  const m = mean(values as number[]);
  const sd = sampleSd(values as number[]);
  return { lo: m - sd, hi: m + sd, runs: values as number[] };
}

/** The subtitle part that says what a repeated chart shows. */
export function repeatLine(summary: Summary): string | null {
  const n = runsOf(summary).length;
  return n > 1 ? `mean of ${n} runs · whiskers: ± 1 standard deviation · dots: each run` : null;
}

/**
 * The plugin, as plain ES5 text: the same code runs in Node (png.ts) and in report.html. It draws, after
 * the datasets, each `dataset.errorBars[j]` ({lo, hi, runs}) at the x of the dataset's j-th element.
 */
export const ERROR_BARS_PLUGIN_SOURCE = `({
  id: 'errorBars',
  afterDatasetsDraw: function (chart) {
    var ctx = chart.ctx;
    chart.data.datasets.forEach(function (dataset, i) {
      if (!dataset.errorBars || !chart.isDatasetVisible(i)) return;
      var meta = chart.getDatasetMeta(i);
      var scale = chart.scales[meta.yAxisID];
      if (!scale) return;
      var area = chart.chartArea;
      var y = function (v) {
        if (scale.type === 'logarithmic' && !(v > 0)) v = scale.min;
        return Math.min(area.bottom, Math.max(area.top, scale.getPixelForValue(v)));
      };
      dataset.errorBars.forEach(function (bar, j) {
        var element = meta.data[j];
        if (!bar || !element || typeof element.x !== 'number') return;
        var x = element.x;
        var half = Math.max(4, Math.min(9, (element.width || 16) / 5));
        var top = y(bar.hi);
        var bottom = y(bar.lo);
        ctx.save();
        ctx.strokeStyle = '#111827';
        ctx.fillStyle = '#111827';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, bottom);
        ctx.lineTo(x, top);
        ctx.moveTo(x - half, top);
        ctx.lineTo(x + half, top);
        ctx.moveTo(x - half, bottom);
        ctx.lineTo(x + half, bottom);
        ctx.stroke();
        (bar.runs || []).forEach(function (v) {
          ctx.beginPath();
          ctx.arc(x, y(v), 2.5, 0, 2 * Math.PI);
          ctx.fill();
        });
        ctx.restore();
      });
    });
  }
})`;

/** The plugin object for Node (png.ts); report.html evaluates the same text. */
export function errorBarsPlugin(): Plugin {
  return new Function(`return ${ERROR_BARS_PLUGIN_SOURCE};`)() as Plugin;
}
