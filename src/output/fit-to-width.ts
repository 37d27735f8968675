/**
 * Cutting tail lines at the terminal's width, so a long message preview or header does not wrap
 * over several rows and push the call's other lines off screen. Only for a terminal: a pipe or a
 * file gets every character (see `terminalWidth`).
 */

/** Shown where a line was cut. */
export const ELLIPSIS = '…';

/** An SGR colour sequence, the only escapes the tail writes. */
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/y;

const RESET = '\x1b[0m';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Columns a grapheme takes in a terminal: 2 for East Asian wide and fullwidth characters and
 * emoji, 0 for a lone combining mark or zero-width character, else 1. An approximation of
 * `wcwidth` that matches common terminals for the text a tail shows.
 */
export function graphemeWidth(grapheme: string): number {
  const code = grapheme.codePointAt(0) ?? 0;
  if (/^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff]/u.test(grapheme)) return 0;
  if (/\p{Extended_Pictographic}/u.test(grapheme) && (code >= 0x1f000 || /\ufe0f/.test(grapheme)))
    return 2;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/**
 * `line` (one row, no `\n`) cut to at most `columns` terminal columns, ending in `…` when cut.
 * Graphemes are never split (a wide character that would straddle the edge goes whole), colour
 * sequences take no columns and are kept, and a colour open at the cut is reset after the `…`.
 * `columns` below 1 is taken as 1.
 */
export function fitToWidth(line: string, columns: number): string {
  const limit = Math.max(1, Math.floor(columns));
  // Printable ASCII is one column per character: most lines end here.
  // eslint-disable-next-line no-control-regex
  if (line.length <= limit && !/[^\x20-\x7e\x1b]/.test(line)) return line;
  let width = 0;
  let cut = -1;
  let coloured = false;
  let colouredAtCut = false;
  let index = 0;
  while (index < line.length) {
    SGR.lastIndex = index;
    const escape = SGR.exec(line);
    if (escape !== null) {
      coloured = escape[0] !== RESET;
      index += escape[0].length;
      continue;
    }
    const next = line.indexOf('\x1b', index);
    const end = next < 0 ? line.length : next === index ? index + 1 : next;
    for (const { segment, index: at } of graphemes.segment(line.slice(index, end))) {
      const columnsTaken = graphemeWidth(segment);
      if (width + columnsTaken > limit - 1 && cut < 0) {
        cut = index + at;
        colouredAtCut = coloured;
      }
      width += columnsTaken;
      if (width > limit) return `${line.slice(0, cut)}${ELLIPSIS}${colouredAtCut ? RESET : ''}`;
    }
    index = end;
  }
  return line;
}

/** What the tail needs of stdout to decide on cutting. */
export interface OutputTerminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * The width to cut tail lines at: the terminal's columns when stdout is a terminal (80 when it
 * does not say), null (never cut) for a pipe or a file.
 */
export function terminalWidth(stdout: OutputTerminal): number | null {
  if (stdout.isTTY !== true) return null;
  return stdout.columns !== undefined && stdout.columns > 0 ? stdout.columns : 80;
}
