import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSchemaless } from '../../src/schema/decode-schemaless.js';
import {
  formatJsonPreview,
  formatSchemalessPreview,
} from '../../src/schema/format-schemaless-preview.js';
import { hex } from './schema-fixtures.js';

function preview(bytes: string, maxChars?: number): string {
  return formatSchemalessPreview(decodeSchemaless(hex(bytes)).value, maxChars);
}

describe('formatSchemalessPreview', () => {
  it('writes a message on one line with field numbers as keys', () => {
    assert.equal(
      preview('0a 05 68656c6c6f 10 07 1a 05 0d 0000c03f'),
      '{1: "hello", 2: 7, 3: {1: 1.5}}',
    );
  });

  it('shows a negative varint by its signed reading and repeated fields as a list', () => {
    assert.equal(preview('08 ffffffffffffffffff01 08 02'), '{1: [-1, 2]}');
  });

  it('shows a fixed-width value as an integer when its float reading looks like noise', () => {
    assert.equal(preview('1d 01000000'), '{3: 1}');
    assert.equal(preview('11 000000000000f83f'), '{2: 1.5}');
  });

  it('shows short bytes in hex and long bytes by their head and length', () => {
    assert.equal(preview('12 03 00ff01'), '{2: 0x00ff01}');
    assert.equal(preview('12 0a 00010203040506070809'), '{2: 0x0001020304050607…(10 bytes)}');
  });

  it('marks groups and keeps undecoded bytes visible', () => {
    assert.equal(preview('0b 0801 0c'), '{1: group {1: 1}}');
    assert.equal(preview('08 01 10 ff'), '{1: 1, _rest: 0x10ff}');
  });

  it('cuts the line at maxChars with an ellipsis', () => {
    const line = preview(`0a 32 ${'61'.repeat(50)}`, 20);
    assert.equal(line, '{1: "aaaaaaaaaaaaaa…');
    assert.equal(line.length, 20);
  });

  it('writes an empty message as {}', () => {
    assert.equal(preview(''), '{}');
  });
});

describe('formatJsonPreview', () => {
  it('writes proto-JSON compactly with bare keys and quoted strings', () => {
    const json = { id: 'o-1', items: [{ sku: 'a', quantity: 2 }], note: null, ok: true };
    assert.equal(
      formatJsonPreview(json),
      '{id: "o-1", items: [{sku: "a", quantity: 2}], note: null, ok: true}',
    );
  });

  it('quotes keys that are not plain names and formats _unknown schemalessly', () => {
    const json = {
      '@type': 'type.googleapis.com/x.Y',
      'odd key': 1,
      _unknown: { 4: { fixed32: 1069547520, float: 1.5 } },
    };
    assert.equal(
      formatJsonPreview(json),
      '{@type: "type.googleapis.com/x.Y", "odd key": 1, _unknown: {4: 1.5}}',
    );
  });

  it('stays short for a huge string', () => {
    const line = formatJsonPreview({ text: 'x'.repeat(1_000_000) }, 30);
    assert.equal(line.length, 30);
    assert.ok(line.endsWith('…'));
  });
});
