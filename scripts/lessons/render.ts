/**
 * The lab book's template engine. Sources are the numbered section files of docs/lessons/
 * (LESSONS.md) and of docs/lessons/answers/ (docs/answers.md), e.g. docs/lessons/01-short-polling.md,
 * concatenated in file-name order. A number
 * quoted from a reference result is written as a placeholder and rendered as a plain number read
 * from the committed `results/<scenario>/latest.json` → `summary.json`; the syntax is described
 * in docs/lessons/README.md. Tables are padded so that they read in a terminal.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** One rendered document: where its sources are and where the result goes. */
export interface Book {
  name: string;
  sourceDir: string;
  output: string;
  banner: string;
}

export const BOOKS: readonly Book[] = [
  {
    name: 'lab book',
    sourceDir: 'docs/lessons',
    output: 'LESSONS.md',
    banner: '<!-- Rendered by `npm run lessons` from docs/lessons/*.md: edit those, not this file. -->',
  },
  {
    name: 'answer key',
    sourceDir: 'docs/lessons/answers',
    output: 'docs/answers.md',
    banner: '<!-- Rendered by `npm run lessons` from docs/lessons/answers/*.md: edit those, not this file. -->',
  },
];

/** `{{…}}`: no braces inside, no line breaks. */
export const PLACEHOLDER = /\{\{([^{}\n]+)\}\}/g;

export type Placeholder =
  | { raw: string; kind: 'value' | 'pm' | 'runs'; scenario: string; path: string; decimals: number }
  | { raw: string; kind: 'ratio' | 'percent' | 'diff'; scenario: string; a: string; b: string; decimals: number };

const SCENARIO = /^[a-z0-9-]+$/;
const PATH = /^[A-Za-z0-9_.-]+$/;

/** Parses the inside of a placeholder; throws with the placeholder named when it is malformed. */
export function parsePlaceholder(raw: string): Placeholder {
  const parts = raw.split(':');
  const fail = (why: string): never => {
    throw new Error(`placeholder {{${raw}}}: ${why} (see docs/lessons/README.md)`);
  };
  const decimalsOf = (text: string | undefined): number => {
    if (text === undefined || !/^\d$/.test(text)) fail('the last part must be the number of decimals, 0–9');
    return Number(text);
  };
  const head = parts[0] ?? '';
  if (head === 'ratio' || head === 'percent' || head === 'diff') {
    if (parts.length !== 4) fail(`expected ${head}:<scenario>:<pathA>/<pathB>:<decimals>`);
    const [, scenario = '', expression = '', decimals] = parts;
    const operands = expression.split('/');
    const a = operands[0] ?? '';
    const b = operands[1] ?? '';
    if (!SCENARIO.test(scenario)) fail(`bad scenario name "${scenario}"`);
    if (operands.length !== 2 || !PATH.test(a) || !PATH.test(b)) fail(`expected <pathA>/<pathB>, got "${expression}"`);
    return { raw, kind: head, scenario, a, b, decimals: decimalsOf(decimals) };
  }
  // A repeated run's spread (`--repeat N`, scenarios/repeat.ts): `pm` = "mean ± SD", `runs` = each run's value.
  const spread = head === 'pm' || head === 'runs' ? head : null;
  if (parts.length !== (spread ? 4 : 3))
    fail(`expected ${spread ? `${spread}:` : ''}<scenario>:<path in summary.json>:<decimals>`);
  const [scenario = '', path = '', decimals] = spread ? parts.slice(1) : parts;
  if (!SCENARIO.test(scenario)) fail(`bad scenario name "${scenario}"`);
  if (!PATH.test(path)) fail(`bad path "${path}"`);
  return { raw, kind: spread ?? 'value', scenario, path, decimals: decimalsOf(decimals) };
}

const summaries = new Map<string, unknown>();

/** The committed reference summary of a scenario (results/<scenario>/latest.json names it). */
export function summaryOf(scenario: string): unknown {
  const cached = summaries.get(scenario);
  if (cached !== undefined) return cached;
  let summary: unknown;
  try {
    const latest = JSON.parse(readFileSync(`${ROOT}results/${scenario}/latest.json`, 'utf8')) as { summary: string };
    summary = JSON.parse(readFileSync(`${ROOT}results/${scenario}/${latest.summary}`, 'utf8'));
  } catch (error) {
    throw new Error(`no committed reference result for "${scenario}": ${(error as Error).message}`);
  }
  summaries.set(scenario, summary);
  return summary;
}

/** Uses `summary` as the scenario's reference instead of the committed one (the renderer's own tests). */
export function rememberSummary(scenario: string, summary: unknown): void {
  summaries.set(scenario, summary);
}

/** Forgets the cached summaries (a re-render after a new reference run). */
export function forgetSummaries(): void {
  summaries.clear();
}

function numberAt(scenario: string, path: string): number {
  // A key may itself hold a dot (the transport `socket.io`): where a segment is not a key, it is
  // joined with the next one (`transports.socket.io.lost` reads `transports["socket.io"].lost`).
  const keys = path.split('.');
  let value: unknown = summaryOf(scenario);
  for (let i = 0; i < keys.length; i++) {
    if (value === null || typeof value !== 'object') {
      value = undefined;
      break;
    }
    const node = value as Record<string, unknown>;
    let key = keys[i] as string;
    while (!(key in node) && i + 1 < keys.length) key = `${key}.${keys[++i]}`;
    value = node[key];
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${scenario}:${path} is not a number in its summary.json (found ${JSON.stringify(value)})`);
  }
  return value;
}

/** How many runs a repeated reference has; fails for a single run, which has no spread to quote. */
function runsOf(scenario: string, path: string): number {
  const runs = (summaryOf(scenario) as { repeat?: { runs?: unknown } }).repeat?.runs;
  if (typeof runs !== 'number')
    throw new Error(
      `${scenario}:${path}: the reference is a single run (no \`repeat\` in its summary.json): no spread`,
    );
  return runs;
}

/**
 * The number a placeholder stands for (`pm` and `runs`: the mean of the runs, after checking that the
 * spread and every run's value exist).
 */
export function numberFor(placeholder: Placeholder): number {
  if (placeholder.kind === 'value') return numberAt(placeholder.scenario, placeholder.path);
  if (placeholder.kind === 'pm' || placeholder.kind === 'runs') {
    const { scenario, path } = placeholder;
    const runs = runsOf(scenario, path);
    numberAt(scenario, `repeat.sd.${path}`);
    for (let i = 0; i < runs; i++) numberAt(scenario, `repeat.perRun.${i}.${path}`);
    return numberAt(scenario, `repeat.mean.${path}`);
  }
  const { a: pathA, b: pathB } = placeholder as Extract<Placeholder, { a: string }>;
  const a = numberAt(placeholder.scenario, pathA);
  const b = numberAt(placeholder.scenario, pathB);
  if (placeholder.kind === 'diff') return a - b;
  if (b === 0) throw new Error(`{{${placeholder.raw}}} divides by zero`);
  return placeholder.kind === 'ratio' ? a / b : (100 * a) / b;
}

/** What a placeholder renders: a number, "mean ± SD", or each run's value ("12, 15 and 14"). */
export function textFor(placeholder: Placeholder): string {
  const { decimals } = placeholder;
  const mean = numberFor(placeholder);
  if (placeholder.kind === 'pm') {
    const sd = numberAt(placeholder.scenario, `repeat.sd.${placeholder.path}`);
    return `${formatQuoted(mean, decimals)} ± ${formatQuoted(sd, decimals)}`;
  }
  if (placeholder.kind === 'runs') {
    const runs = runsOf(placeholder.scenario, placeholder.path);
    const each = Array.from({ length: runs }, (_, i) =>
      formatQuoted(numberAt(placeholder.scenario, `repeat.perRun.${i}.${placeholder.path}`), decimals),
    );
    return `${each.slice(0, -1).join(', ')} and ${each.at(-1)}`;
  }
  return formatQuoted(mean, decimals);
}

/** How the book writes a number: fixed decimals, thousands separated by commas. */
export function formatQuoted(value: number, decimals: number): string {
  const text = value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return text === `-${(0).toFixed(decimals)}` ? text.slice(1) : text;
}

/** The section files of a book, in file-name order (two digits, a dash, a slug; README.md is not a section). */
export function sectionFiles(book: Book): string[] {
  return readdirSync(`${ROOT}${book.sourceDir}`)
    .filter((name) => /^\d\d-[a-z0-9-]+\.md$/.test(name))
    .sort()
    .map((name) => `${book.sourceDir}/${name}`);
}

/** Every placeholder of a book's sources, with the file it is in. */
export function placeholdersOf(book: Book): { file: string; placeholder: Placeholder }[] {
  return sectionFiles(book).flatMap((file) =>
    [...stripComments(readFileSync(`${ROOT}${file}`, 'utf8')).matchAll(PLACEHOLDER)].map((m) => ({
      file,
      placeholder: parsePlaceholder(m[1] ?? ''),
    })),
  );
}

/** Source comments (`<!-- … -->`) are notes for authors; a comment alone on its lines goes with them. */
function stripComments(text: string): string {
  return text.replace(/^[ \t]*<!--[\s\S]*?-->[ \t]*\n/gm, '').replace(/<!--[\s\S]*?-->/g, '');
}

export function substitute(text: string, where: string): string {
  return text.replace(PLACEHOLDER, (_match, inner: string) => {
    try {
      const placeholder = parsePlaceholder(inner);
      return textFor(placeholder);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  });
}

function splitRow(line: string): string[] {
  // Cells are split on `|` outside code spans; `\|` stays in its cell.
  const cells: string[] = [];
  let cell = '';
  let inCode = false;
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '`') inCode = !inCode;
    if (ch === '\\' && body[i + 1] === '|') {
      cell += '\\|';
      i++;
      continue;
    }
    if (ch === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
      continue;
    }
    cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

const width = (text: string): number => [...text].length;

/** Pads a Markdown table's columns so that it reads as a table in a terminal too. */
export function alignTable(lines: string[]): string[] {
  const rows = lines.map(splitRow);
  const separator = rows[1];
  if (!separator?.every((cell) => /^:?-+:?$/.test(cell))) return lines;
  const columns = Math.max(...rows.map((row) => row.length));
  const right = Array.from({ length: columns }, (_, i) => /-:$/.test(separator[i] ?? ''));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(3, ...rows.map((row, r) => (r === 1 ? 3 : width(row[i] ?? '')))),
  );
  return rows.map((row, r) => {
    const cells = widths.map((w, i) => {
      if (r === 1) {
        const mark = separator[i] ?? '---';
        const left = mark.startsWith(':') ? ':' : '';
        const end = mark.endsWith(':') ? ':' : '';
        return left + '-'.repeat(w - left.length - end.length) + end;
      }
      const text = row[i] ?? '';
      const pad = ' '.repeat(w - width(text));
      return right[i] ? pad + text : text + pad;
    });
    return `| ${cells.join(' | ')} |`;
  });
}

/** Aligns every table outside fenced code blocks. */
export function alignTables(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let fenced = false;
  let table: string[] = [];
  const flush = () => {
    if (table.length > 0) out.push(...alignTable(table));
    table = [];
  };
  for (const line of lines) {
    if (line.startsWith('```')) fenced = !fenced;
    if (!fenced && line.startsWith('|')) {
      table.push(line);
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return out.join('\n');
}

/** Rendered prose is refilled to this width where numbers replaced placeholders. */
export const PROSE_WIDTH = 100;

const LIST_ITEM = /^(\s*(?:[-*]|\d+\.) )/;

/** Fills words into lines of at most `width` characters, the first starting with `lead`. */
function fill(words: string[], lead: string, width: number): string[] {
  const indent = ' '.repeat(lead.length);
  const lines: string[] = [];
  let line = lead;
  for (const word of words) {
    if (line.trim() !== '' && line !== lead && width < [...line].length + 1 + [...word].length) {
      lines.push(line);
      line = indent + word;
    } else {
      line += line === lead || line === indent ? word : ` ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/**
 * Numbers are shorter than their placeholders, so a paragraph or list item that had one is
 * refilled after substitution; everything else (code, tables, headings, pictures) is kept as written.
 */
export function substituteAndFill(text: string, where: string): string {
  const out: string[] = [];
  let block: string[] = [];
  let fenced = false;
  const flush = () => {
    if (block.length === 0) return;
    const source = block.join('\n');
    if (source.includes('{{')) {
      const lead = LIST_ITEM.exec(block[0] ?? '')?.[1] ?? '';
      const words = substitute(source, where).slice(lead.length).trim().split(/\s+/);
      out.push(...fill(words, lead, PROSE_WIDTH));
    } else {
      out.push(...block);
    }
    block = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const verbatim = fenced || line.startsWith('```') || /^(\||#|!\[|<|>)/.test(line) || line.trim() === '';
    if (verbatim) {
      flush();
      out.push(line.includes('{{') ? substitute(line, where) : line);
    } else {
      if (LIST_ITEM.test(line)) flush();
      block.push(line);
    }
  }
  flush();
  return out.join('\n');
}

/** The book as it must be committed: banner, sections joined by a rule, numbers filled in, tables aligned. */
export function render(book: Book): string {
  const sections = sectionFiles(book).map((file) =>
    substituteAndFill(stripComments(readFileSync(`${ROOT}${file}`, 'utf8')), file).trim(),
  );
  return `${book.banner}\n\n${alignTables(sections.join('\n\n---\n\n'))}\n`;
}
