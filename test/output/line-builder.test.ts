import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { appendJson, LineBuilder } from '../../src/output/line-builder.js';

/** What `appendJson` may be told is plain: printable ASCII that JSON writes as it is. */
function isPlain(text: string): boolean {
  return /^[ -~]*$/.test(text) && JSON.stringify(text) === `"${text}"`;
}

/** Every string in `value`, keys excluded. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsOf);
}

/** What `appendJson` writes for `value` after `prefix`, as text; undefined when it wrote nothing. */
function written(value: unknown, plain: readonly string[], prefix = ''): string | undefined {
  const line = new LineBuilder();
  const wrote = appendJson(line, prefix, value, plain);
  const text = line.finish().toString('utf8');
  if (!wrote) {
    assert.equal(text, '', 'nothing written when it says so');
    return undefined;
  }
  return text;
}

describe('appendJson', () => {
  it('writes any JSON value exactly as JSON.stringify, with its plain strings named', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, prefix) => {
        const plain = stringsOf(value).filter(isPlain);
        assert.equal(written(value, plain, prefix), `${prefix}${JSON.stringify(value)}`);
      }),
      { numRuns: 500 },
    );
  });

  it('copies a plain string as it is, without looking at it', () => {
    // A string that JSON would escape, named as plain anyway: the copy shows it was not scanned.
    const tab = `${'a'.repeat(300)}\tb`;
    assert.equal(written({ 1: tab }, [tab]), `{"1":"${tab}"}`);
    assert.equal(written({ 1: tab }, []), JSON.stringify({ 1: tab }));
  });

  it('leaves out what JSON.stringify leaves out, and defers to it for what is not plain data', () => {
    const plain = ['x'.repeat(2000)];
    const values: unknown[] = [
      { a: undefined, b: () => 1, c: Symbol('s'), d: plain[0], e: { toJSON: () => undefined } },
      [undefined, () => 1, plain[0], null, { toJSON: () => undefined }],
      { nested: [{ deep: [plain[0], 1.5, -0, Number.NaN, true] }] },
      { when: new Date(0), map: new Map([[1, 2]]), boxed: Object('text') as unknown },
      { custom: { toJSON: () => 'replaced' } },
      Object.assign(Object.create(null) as object, { text: plain[0] }),
      'short',
      plain[0],
    ];
    for (const value of values) {
      assert.equal(written(value, plain), JSON.stringify(value));
    }
    for (const value of [undefined, () => 1, { toJSON: () => undefined }]) {
      assert.equal(written(value, plain, '"key":'), undefined);
    }
  });
});

describe('LineBuilder', () => {
  it('joins text (UTF-8) and ASCII parts of any length in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string().map((text) => ({ ascii: false, text })),
            fc
              .string({ unit: fc.constantFrom('a', 'Z', '0', '+', '/'), maxLength: 600 })
              .map((text) => ({ ascii: true, text })),
          ),
        ),
        (parts) => {
          const line = new LineBuilder();
          for (const part of parts) {
            if (part.ascii) line.addAscii(part.text);
            else line.addText(part.text);
          }
          const expected = parts.map((part) => part.text).join('');
          assert.deepEqual(line.finish(), Buffer.from(expected, 'utf8'));
        },
      ),
    );
  });
});
