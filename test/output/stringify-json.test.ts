import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringifyJson } from '../../src/output/stringify-json.js';

/** What `stringifyJson` may be told is plain: no character JSON would escape. */
function isPlain(text: string): boolean {
  return JSON.stringify(text) === `"${text}"`;
}

/** Every string in `value`, keys excluded. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsOf);
}

describe('stringifyJson', () => {
  it('writes any JSON value exactly as JSON.stringify, with its plain strings named', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const plain = stringsOf(value).filter(isPlain);
        assert.equal(stringifyJson(value, plain), JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  it('copies a plain string as it is, without looking at it', () => {
    // A string that JSON would escape, named as plain anyway: the copy shows it was not scanned.
    const tab = 'a\tb';
    assert.equal(stringifyJson({ 1: tab }, [tab]), '{"1":"a\tb"}');
    assert.equal(stringifyJson({ 1: tab }, []), '{"1":"a\\tb"}');
  });

  it('leaves out what JSON.stringify leaves out, and defers to it for what is not plain data', () => {
    const plain = ['x'.repeat(2000)];
    const values: unknown[] = [
      { a: undefined, b: () => 1, c: Symbol('s'), d: plain[0] },
      [undefined, () => 1, plain[0], null],
      { nested: [{ deep: [plain[0], 1.5, -0, Number.NaN, true] }] },
      { when: new Date(0), map: new Map([[1, 2]]), boxed: Object('text') as unknown },
      { custom: { toJSON: () => 'replaced' } },
      Object.assign(Object.create(null) as object, { text: plain[0] }),
      undefined,
      'short',
    ];
    for (const value of values) {
      assert.equal(stringifyJson(value, plain), JSON.stringify(value));
    }
  });
});
