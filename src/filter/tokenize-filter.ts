import { FilterError } from './filter-error.js';

export type FilterToken =
  | { readonly kind: 'word'; readonly text: string; readonly column: number }
  | { readonly kind: 'quoted'; readonly text: string; readonly column: number }
  | { readonly kind: 'op'; readonly text: string; readonly column: number }
  | { readonly kind: 'open' | 'close'; readonly column: number };

const OPERATORS = ['!=', '!~', '<=', '>=', '=', '~', '<', '>'];
/** Characters that end a bare word. */
const DELIMITERS = /[\s()"'=!~<>]/;

/**
 * Splits a filter into words, quoted strings (`"..."` or `'...'`, with `\\` escaping the next
 * character), operators and parentheses, each with its 1-based column. Pure.
 */
export function tokenizeFilter(source: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] ?? '';
    const column = index + 1;
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', column });
      index += 1;
    } else if (char === '"' || char === "'") {
      let text = '';
      let end = index + 1;
      for (; end < source.length && source[end] !== char; end++) {
        if (source[end] === '\\' && end + 1 < source.length) end += 1;
        text += source[end];
      }
      if (end >= source.length)
        throw new FilterError(column, `unterminated ${char}quoted${char} value`);
      tokens.push({ kind: 'quoted', text, column });
      index = end + 1;
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, index));
      if (op !== undefined) {
        tokens.push({ kind: 'op', text: op, column });
        index += op.length;
        continue;
      }
      let end = index;
      while (end < source.length && !DELIMITERS.test(source[end] ?? '')) end += 1;
      if (end === index) throw new FilterError(column, `unexpected ${JSON.stringify(char)}`);
      tokens.push({ kind: 'word', text: source.slice(index, end), column });
      index = end;
    }
  }
  return tokens;
}
