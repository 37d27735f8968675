import { FilterError } from './filter-error.js';
import type { CompareOp, FilterNode, NumberField, TextField } from './filter-ast.js';
import { ENUMERATED, parseNumberValue } from './parse-filter-value.js';
import { type FilterToken, tokenizeFilter } from './tokenize-filter.js';

const TEXT_FIELDS: ReadonlySet<string> = new Set<TextField>([
  'service',
  'method',
  'path',
  'authority',
  'state',
  'type',
  'protocol',
  'client',
  'origin',
  'msg',
]);
const NUMBER_FIELDS: ReadonlySet<string> = new Set<NumberField>([
  'status',
  'duration',
  'size',
  'messages',
  'time',
]);
const KEYWORDS = new Set(['and', 'or', 'not']);
/** A header name as HTTP allows it (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$/;

function describe(token: FilterToken | undefined): string {
  if (token === undefined) return 'the end';
  switch (token.kind) {
    case 'open':
      return '"("';
    case 'close':
      return '")"';
    default:
      return JSON.stringify(token.text);
  }
}

/**
 * Parses a filter expression (docs/filters.md) into a tree. `now` anchors relative times
 * (`time > -10m`). An empty expression matches everything. Throws `FilterError` naming the column.
 *
 * Precedence: `not` binds tightest, then `and` (also two terms side by side), then `or`.
 */
export function parseFilter(source: string, now: number = Date.now()): FilterNode {
  const tokens = tokenizeFilter(source);
  let position = 0;
  const peek = (): FilterToken | undefined => tokens[position];
  const end = source.length + 1;
  const columnOf = (token: FilterToken | undefined): number => token?.column ?? end;
  const isKeyword = (token: FilterToken | undefined, word: string): boolean =>
    token?.kind === 'word' && token.text.toLowerCase() === word;

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isKeyword(peek(), 'or')) {
      position += 1;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const startsTerm = (token: FilterToken | undefined): boolean =>
    token !== undefined &&
    (token.kind === 'open' || (token.kind === 'word' && !isKeyword(token, 'or')));
  const parseAnd = (): FilterNode => {
    let left = parseNot();
    for (;;) {
      if (isKeyword(peek(), 'and')) position += 1;
      else if (!startsTerm(peek())) return left;
      left = { kind: 'and', left, right: parseNot() };
    }
  };
  const parseNot = (): FilterNode => {
    if (isKeyword(peek(), 'not')) {
      position += 1;
      return { kind: 'not', operand: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): FilterNode => {
    const token = peek();
    if (token?.kind === 'open') {
      position += 1;
      const inner = parseOr();
      const close = peek();
      if (close?.kind !== 'close') {
        throw new FilterError(
          columnOf(close),
          `expected ")" to close the "(" at column ${token.column}, found ${describe(close)}`,
        );
      }
      position += 1;
      return inner;
    }
    if (token?.kind !== 'word' || KEYWORDS.has(token.text.toLowerCase())) {
      throw new FilterError(
        columnOf(token),
        `expected a field such as method or status, found ${describe(token)}`,
      );
    }
    position += 1;
    return parseComparison(token);
  };
  const parseComparison = (fieldToken: FilterToken & { kind: 'word' }): FilterNode => {
    const name = fieldToken.text;
    const lower = name.toLowerCase();
    const header = lower.startsWith('h.') ? lower.slice(2) : '';
    if (lower.startsWith('h.') && !HEADER_NAME.test(header)) {
      throw new FilterError(
        fieldToken.column,
        `expected a header name after "h.", found ${JSON.stringify(name)}`,
      );
    }
    const isText = header !== '' || TEXT_FIELDS.has(lower);
    if (!isText && !NUMBER_FIELDS.has(lower)) {
      throw new FilterError(
        fieldToken.column,
        `unknown field ${JSON.stringify(name)}; fields are service, method, path, authority, status, type, state, protocol, duration, size, messages, time, client, origin, h.NAME and msg`,
      );
    }
    const opToken = peek();
    if (opToken?.kind !== 'op') {
      throw new FilterError(
        columnOf(opToken),
        `expected an operator (=, !=, ~, !~, <, <=, >, >=) after ${name}, found ${describe(opToken)}`,
      );
    }
    position += 1;
    const op = opToken.text as CompareOp;
    const valueToken = peek();
    if (valueToken?.kind !== 'word' && valueToken?.kind !== 'quoted') {
      throw new FilterError(
        columnOf(valueToken),
        `expected a value after "${op}", found ${describe(valueToken)}`,
      );
    }
    position += 1;
    const value = valueToken.text;
    if (isText) {
      const field = (header === '' ? lower : 'header') as TextField;
      if (op !== '=' && op !== '!=' && op !== '~' && op !== '!~') {
        throw new FilterError(opToken.column, `${name} is text: use =, !=, ~ or !~, not ${op}`);
      }
      if (op === '~' || op === '!~') {
        try {
          new RegExp(value, 'u');
        } catch (error) {
          throw new FilterError(
            valueToken.column,
            `bad regular expression: ${(error as Error).message}`,
          );
        }
      } else {
        const allowed = ENUMERATED[field];
        if (allowed !== undefined && !allowed.includes(value)) {
          throw new FilterError(
            valueToken.column,
            `${lower} is one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
          );
        }
      }
      return { kind: 'compare', comparison: { kind: 'text', field, header, op, value } };
    }
    const field = lower as NumberField;
    if (op === '~' || op === '!~') {
      throw new FilterError(
        opToken.column,
        `${name} is a number: use =, !=, <, <=, > or >=, not ${op}`,
      );
    }
    const parsed = parseNumberValue(field, value, now);
    if (typeof parsed !== 'number') {
      throw new FilterError(
        valueToken.column,
        `${lower} takes ${parsed.expected} (got ${JSON.stringify(value)})`,
      );
    }
    return { kind: 'compare', comparison: { kind: 'number', field, op, value: parsed } };
  };

  if (tokens.length === 0) return { kind: 'all' };
  const tree = parseOr();
  if (position < tokens.length) {
    const token = tokens[position];
    throw new FilterError(
      columnOf(token),
      `expected "and", "or" or the end, found ${describe(token)}`,
    );
  }
  return tree;
}
