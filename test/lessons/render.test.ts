/**
 * The lab book's template engine (scripts/lessons/render.ts) on its own: placeholder syntax and its
 * mistakes, number formatting, the refill after substitution and the table padding. The books
 * themselves are checked against the committed results in test/lessons.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  alignTable,
  formatQuoted,
  numberFor,
  parsePlaceholder,
  substituteAndFill,
} from '../../scripts/lessons/render.js';

describe('placeholders', () => {
  it('reads a value and the derived forms', () => {
    expect(parsePlaceholder('busy-feed:transports.sse.latencyMs.p50:1')).toMatchObject({
      kind: 'value',
      scenario: 'busy-feed',
      path: 'transports.sse.latencyMs.p50',
      decimals: 1,
    });
    expect(parsePlaceholder('ratio:fan-out:a.b/c.d:2')).toMatchObject({ kind: 'ratio', a: 'a.b', b: 'c.d' });
    expect(parsePlaceholder('percent:x:a/b:0').kind).toBe('percent');
    expect(parsePlaceholder('diff:x:a/b:0').kind).toBe('diff');
  });

  it.each([
    ['busy-feed:transports.sse.latencyMs.p50', 'decimals'],
    ['busy-feed:transports.sse.latencyMs.p50:x', 'decimals'],
    ['Busy:path:1', 'scenario'],
    ['ratio:fan-out:a.b:1', 'pathA'],
    ['ratio:fan-out:a/b/c:1', 'pathA'],
    ['a:b:c:d', 'expected'],
  ])('refuses {{%s}}, naming the mistake', (raw, word) => {
    expect(() => parsePlaceholder(raw)).toThrow(word);
  });

  it('names the scenario and path of a number that does not exist', () => {
    expect(() => numberFor(parsePlaceholder('busy-feed:transports.nope.latencyMs.p50:1'))).toThrow(
      'busy-feed:transports.nope.latencyMs.p50 is not a number',
    );
    expect(() => numberFor(parsePlaceholder('no-such-scenario:a:1'))).toThrow('no committed reference result');
  });

  it('computes the derived forms from the committed summary', () => {
    const a = numberFor(parsePlaceholder('busy-feed:transports.long-poll.bytesPerMessage:0'));
    const b = numberFor(parsePlaceholder('busy-feed:transports.sse.bytesPerMessage:0'));
    const path = 'transports.long-poll.bytesPerMessage/transports.sse.bytesPerMessage';
    expect(numberFor(parsePlaceholder(`ratio:busy-feed:${path}:2`))).toBeCloseTo(a / b, 12);
    expect(numberFor(parsePlaceholder(`percent:busy-feed:${path}:2`))).toBeCloseTo((100 * a) / b, 10);
    expect(numberFor(parsePlaceholder(`diff:busy-feed:${path}:2`))).toBeCloseTo(a - b, 10);
  });
});

describe('formatting', () => {
  it('writes fixed decimals and thousands commas, and no negative zero', () => {
    expect(formatQuoted(1599, 0)).toBe('1,599');
    expect(formatQuoted(0.8612, 2)).toBe('0.86');
    expect(formatQuoted(270802944, 0)).toBe('270,802,944');
    expect(formatQuoted(-0.0004, 2)).toBe('0.00');
    expect(formatQuoted(-12.5, 1)).toBe('-12.5');
  });

  it('refills a paragraph that had a placeholder, and keeps code and other paragraphs as written', () => {
    const text = [
      'A line that stays exactly as it was,',
      'with its own breaks.',
      '',
      `- SSE: {{busy-feed:transports.sse.latencyMs.p50:2}} ms ${'word '.repeat(30).trim()}`,
      '',
      '```sh',
      'curl {{not a placeholder in code}}',
      '```',
    ].join('\n');
    const out = substituteAndFill(text.replace('{{not a placeholder in code}}', 'x'), 'test').split('\n');
    expect(out.slice(0, 3)).toEqual(['A line that stays exactly as it was,', 'with its own breaks.', '']);
    const item = out.filter((line) => line.startsWith('- SSE') || line.startsWith('  word'));
    expect(item.length).toBeGreaterThan(1);
    expect(item.every((line) => [...line].length <= 100)).toBe(true);
    expect(out).toContain('curl x');
  });
});

describe('tables', () => {
  it('pads columns, right-aligns `---:` columns and counts characters, not bytes', () => {
    expect(alignTable(['| a | µs |', '|---|---:|', '| long cell | 1 |'])).toEqual([
      '| a         |  µs |',
      '| --------- | --: |',
      '| long cell |   1 |',
    ]);
  });

  it('keeps a `|` inside a code span in its cell', () => {
    expect(alignTable(['| x | y |', '|---|---|', '| `a|b` | c |'])[2]).toBe('| `a|b` | c   |');
  });
});
