/** A table model as terminal text: aligned columns, ANSI colours (or none), notes word-wrapped. */
import type { TableModel, Tone } from './model.js';

export type Style = Tone | 'bold';

/** Colours `text` in `style`; the identity when colour is off. */
export type Paint = (text: string, style?: Style) => string;

const ANSI: Record<Style, string> = {
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  good: '\x1b[32m',
  bad: '\x1b[31m',
  warn: '\x1b[33m',
};
const RESET = '\x1b[0m';

/** A `Paint` writing ANSI colour codes when `color`, and the text unchanged otherwise. */
export function painter(color: boolean): Paint {
  return (text, style) => (color && style && text !== '' ? `${ANSI[style]}${text}${RESET}` : text);
}

/** Terminal columns a string takes; the box-drawing and sign characters used here are one wide. */
const width = (text: string): number => [...text].length;

function pad(text: string, to: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'left' ? text + fill : fill + text;
}

/** Notes are wrapped to this many columns (the widest tables are about 110). */
const NOTE_WIDTH = 108;

export function renderModel(model: TableModel, paint: Paint): string {
  const columns = model.columns.map((c, i) => ({
    ...c,
    width: Math.max(width(c.label), ...model.rows.map((r) => width(r[i]?.text ?? ''))),
  }));
  // The padding is applied before the colour, so escape codes never upset the alignment.
  const line = (cells: string[]) => cells.join('  ').trimEnd();
  const header = line(columns.map((c) => paint(pad(c.label, c.width, c.align), 'bold')));
  const rule = line(columns.map((c) => '─'.repeat(c.width)));
  const rows = model.rows.map((r) =>
    line(columns.map((c, i) => paint(pad(r[i]?.text ?? '', c.width, c.align), r[i]?.tone))),
  );
  const note = model.note ? wrap(model.note, NOTE_WIDTH).map((l) => paint(l, 'dim')) : [];
  return [paint(model.title, 'bold'), ...note, header, rule, ...rows].join('\n');
}

/** Greedy word wrap; a word longer than the line stands alone. */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && width(line) + 1 + width(word) > columns) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
