import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fitToWidth, graphemeWidth, terminalWidth } from '../../src/output/fit-to-width.js';

// eslint-disable-next-line no-control-regex
const COLOUR = /\x1b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const ELLIPSIS_AND_RESET = /…(\x1b\[0m)?$/;

/** Columns of a line without colour sequences, as fitToWidth counts them. */
function columnsOf(line: string): number {
  const plain = line.replace(COLOUR, '');
  let width = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(
    plain,
  )) {
    width += graphemeWidth(segment);
  }
  return width;
}

describe('fitToWidth', () => {
  it('leaves a line that fits as it is', () => {
    assert.equal(fitToWidth('abcdef', 6), 'abcdef');
    assert.equal(fitToWidth('', 1), '');
  });

  it('cuts a long line with an ellipsis in the last column', () => {
    assert.equal(fitToWidth('abcdefgh', 6), 'abcde…');
    assert.equal(fitToWidth('abcdefgh', 1), '…');
    assert.equal(fitToWidth('abcdefgh', 0), '…');
  });

  it('counts wide characters as two columns and never splits one', () => {
    assert.equal(fitToWidth('日本語テキスト', 7), '日本語…');
    assert.equal(fitToWidth('日本語テキスト', 6), '日本…');
    assert.equal(fitToWidth('ab日本', 6), 'ab日本');
    assert.equal(fitToWidth('a😀😀😀', 5), 'a😀…');
  });

  it('keeps combining marks and joined emoji with their base', () => {
    const accented = 'e\u0301'.repeat(10);
    assert.equal(fitToWidth(accented, 10), accented);
    assert.equal(fitToWidth(accented, 4), `${'e\u0301'.repeat(3)}…`);
    const family = '👨‍👩‍👧';
    assert.equal(fitToWidth(`${family}${family}x`, 4), `${family}…`);
  });

  it('counts no columns for colours and resets a colour open at the cut', () => {
    const red = '\x1b[31mabcdef\x1b[0m';
    assert.equal(fitToWidth(red, 6), red);
    assert.equal(fitToWidth(red, 4), '\x1b[31mabc…\x1b[0m');
    assert.equal(fitToWidth('\x1b[2mab\x1b[0m cdef', 5), '\x1b[2mab\x1b[0m c…');
  });

  it('never returns more columns than asked, and returns a prefix of the line', () => {
    const text = fc.array(
      fc.constantFrom('a', ' ', 'é', '日', '😀', 'e\u0301', '\x1b[31m', '\x1b[0m'),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 50 }), (parts, columns) => {
        const line = parts.join('');
        const fitted = fitToWidth(line, columns);
        assert.ok(columnsOf(fitted) <= columns, JSON.stringify({ line, columns, fitted }));
        if (fitted === line) assert.ok(columnsOf(line) <= columns);
        else {
          const body = fitted.replace(ELLIPSIS_AND_RESET, '');
          assert.ok(line.startsWith(body));
        }
      }),
    );
  });
});

describe('terminalWidth', () => {
  it('cuts at the columns of a terminal and never for a pipe or a file', () => {
    assert.equal(terminalWidth({ isTTY: true, columns: 120 }), 120);
    assert.equal(terminalWidth({ isTTY: true }), 80);
    assert.equal(terminalWidth({ isTTY: true, columns: 0 }), 80);
    assert.equal(terminalWidth({ columns: 120 }), null);
    assert.equal(terminalWidth({ isTTY: false, columns: 120 }), null);
  });
});
