/**
 * The table model (docs/architecture.md): what the terminal and report.html both render, so they always
 * show the same numbers. Plus the column and cell makers the table families share.
 */
import type { TransportSummary } from '../../summary.js';
import { formatCount, isNum, type Maybe } from './format.js';

export type Tone = 'good' | 'bad' | 'warn' | 'dim';

export interface Cell {
  text: string;
  tone?: Tone;
}

export interface Column {
  label: string;
  align: 'left' | 'right';
}

export interface TableModel {
  title: string;
  /** What a column means or where a number comes from, printed under the title. */
  note?: string;
  columns: Column[];
  rows: Cell[][];
}

export const left = (label: string): Column => ({ label, align: 'left' });
export const right = (label: string): Column => ({ label, align: 'right' });

/** A count that should be zero: shown plainly when it is, in `tone` when it is not. */
export function shouldBeZero(v: Maybe, tone: Tone): Cell {
  return { text: formatCount(v), tone: isNum(v) && v !== 0 ? tone : undefined };
}

/** `delivered/expected`, bad when short. */
export function deliveredCell(s: { delivered: Maybe; expected: Maybe }): Cell {
  const short = isNum(s.delivered) && isNum(s.expected) && s.delivered < s.expected;
  return { text: `${formatCount(s.delivered)}/${formatCount(s.expected)}`, tone: short ? 'bad' : undefined };
}

/** Loss the clients themselves could tell (lostDetected) beside the ground truth: what no client could see. */
export function lossCells(s: TransportSummary): [detected: Cell, unseen: Cell] {
  const unseen = isNum(s.lost) && isNum(s.lostDetected) ? s.lost - s.lostDetected : null;
  return [
    { text: formatCount(s.lostDetected), tone: isNum(s.lostDetected) && s.lostDetected > 0 ? 'warn' : undefined },
    { text: formatCount(unseen), tone: unseen !== null && unseen > 0 ? 'bad' : undefined },
  ];
}

/** The note both the client-side and the group table give a recovery column. */
export const RECOVERY_NOTE = 'recovery: mean time from a forced drop to the next message.';
