/**
 * The HPACK decoder beyond the RFC examples: fields exactly as sent, the size rules of RFC 7541
 * §4.2 and §6.3, the proxy's own bounds (table cap, header-list limit that keeps the table in
 * step), and every COMPRESSION_ERROR as a value that leaves no partial result.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createHpackDecoder,
  type HpackDecodeResult,
  type HpackDecoded,
} from '../../src/h2/create-hpack-decoder.js';
import { encodeHeaderBlock, encodeIndexedField, encodeIndexingLiteral } from '../helpers/raw-h2.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function decoded(result: HpackDecodeResult): HpackDecoded {
  assert.equal(result.kind, 'decoded', result.kind === 'failed' ? result.error.reason : '');
  return result;
}

function failure(result: HpackDecodeResult): { cause: string; reason: string; code: string } {
  assert.equal(result.kind, 'failed');
  if (result.kind !== 'failed') throw new Error('unreachable');
  return result.error;
}

describe('createHpackDecoder: fields', () => {
  test('keeps names and values exactly as sent: case, spaces and every octet', () => {
    const value = Buffer.from([0x20, 0x41, 0x00, 0xff, 0x7f, 0x20]);
    const block = encodeHeaderBlock([
      ['X-Mixed-Case', ' padded '],
      ['bytes', value],
    ]);
    assert.deepEqual(decoded(createHpackDecoder().decode(block)).headers, [
      ['X-Mixed-Case', ' padded '],
      ['bytes', value.toString('latin1')],
    ]);
  });

  test('reports how each field was represented', () => {
    const block = Buffer.concat([
      encodeIndexedField(2),
      encodeIndexingLiteral('a', '1'),
      hex('0001 6201 32'),
      hex('1001 6301 33'),
      encodeIndexedField(62),
    ]);
    const result = decoded(createHpackDecoder().decode(block));
    assert.deepEqual(result.representations, [
      'indexed',
      'incrementalIndexing',
      'withoutIndexing',
      'neverIndexed',
      'indexed',
    ]);
    assert.deepEqual(result.headers.at(-1), ['a', '1']);
    assert.equal(result.listBytes, 5 * 32 + 10 + 2 + 2 + 2 + 2);
  });

  test('decodes an empty block to an empty list', () => {
    assert.deepEqual(decoded(createHpackDecoder().decode(new Uint8Array(0))).headers, []);
  });
});

describe('createHpackDecoder: table size', () => {
  test('applies size updates at the start of a block, evicting the oldest entries', () => {
    const decoder = createHpackDecoder();
    decoded(
      decoder.decode(
        Buffer.concat([encodeIndexingLiteral('a', '1'), encodeIndexingLiteral('b', '2')]),
      ),
    );
    assert.equal(decoder.tableSize, 68);
    // 0x3f 0x05 is an update to 36 (31 + 5), 0x20 an update to 0: smallest first, then final.
    const result = decoded(decoder.decode(hex('20 3f05 82')));
    assert.deepEqual(result.tableSizeUpdates, [0, 36]);
    assert.deepEqual(decoder.tableEntries(), []);
    assert.equal(decoder.maxTableSize, 36);
    decoded(decoder.decode(encodeIndexingLiteral('c', '3')));
    assert.deepEqual(decoder.tableEntries(), [['c', '3']]);
  });

  test('refuses an update above the receiver limit and an update after a field', () => {
    assert.equal(failure(createHpackDecoder().decode(hex('3fe21f'))).cause, 'badTableSizeUpdate');
    const late = failure(createHpackDecoder().decode(hex('82 20')));
    assert.equal(late.cause, 'badTableSizeUpdate');
    assert.match(late.reason, /§4\.2/);
  });

  test('follows the receiver SETTINGS: accepts up to the limit in force, evicts when it drops', () => {
    const decoder = createHpackDecoder();
    decoder.setTableSizeLimit(8192);
    decoded(decoder.decode(hex('3fe13f')));
    assert.equal(decoder.maxTableSize, 8192);
    decoded(decoder.decode(encodeIndexingLiteral('a', 'x'.repeat(100))));
    decoder.setTableSizeLimit(64);
    assert.deepEqual(decoder.tableEntries(), []);
    assert.equal(
      failure(createHpackDecoder({ tableSizeLimit: 64 }).decode(hex('3f22'))).cause,
      'badTableSizeUpdate',
    );
  });

  test('keeps at most its cap and names the cap when a sender references beyond it', () => {
    const decoder = createHpackDecoder({ tableSizeLimit: 65_536, tableSizeCap: 100 });
    decoded(
      decoder.decode(
        Buffer.concat([
          encodeIndexingLiteral('a', 'x'.repeat(30)),
          encodeIndexingLiteral('b', 'y'.repeat(30)),
        ]),
      ),
    );
    assert.ok(decoder.tableSize <= 100);
    assert.deepEqual(decoded(decoder.decode(encodeIndexedField(62))).headers, [
      ['b', 'y'.repeat(30)],
    ]);
    const beyond = failure(decoder.decode(encodeIndexedField(63)));
    assert.equal(beyond.cause, 'badIndex');
    assert.match(beyond.reason, /100-octet cap/);
  });
});

describe('createHpackDecoder: header list limit', () => {
  test('over the limit, returns the fields that fit, counts the rest and keeps the table in step', () => {
    const decoder = createHpackDecoder({ maxHeaderListBytes: 200 });
    const block = Buffer.concat([
      encodeIndexedField(2),
      encodeIndexingLiteral('big', 'v'.repeat(150)),
      encodeIndexingLiteral('after', 'kept-in-table'),
    ]);
    const result = decoded(decoder.decode(block));
    assert.equal(result.tooLarge, true);
    assert.deepEqual(result.headers, [[':method', 'GET']]);
    assert.equal(result.listBytes, 42 + 185 + 50);
    assert.deepEqual(decoded(decoder.decode(encodeIndexedField(62))).headers, [
      ['after', 'kept-in-table'],
    ]);
    assert.equal(decoded(decoder.decode(encodeIndexedField(63))).tooLarge, false);
  });

  test('bounds an amplification of one table entry repeated by one-byte references', () => {
    const decoder = createHpackDecoder();
    decoded(decoder.decode(encodeIndexingLiteral('x', 'a'.repeat(4000))));
    const result = decoded(decoder.decode(Buffer.alloc(100_000, 0xbe)));
    assert.equal(result.tooLarge, true);
    assert.equal(result.headers.length, 16);
    assert.equal(result.listBytes, 100_000 * 4033);
  });
});

describe('createHpackDecoder: COMPRESSION_ERROR', () => {
  const cases: readonly [string, string, string][] = [
    ['index 0', '80', 'badIndex'],
    ['an index past the tables', 'bf', 'badIndex'],
    ['a literal naming a missing entry', '7f00 0161', 'badIndex'],
    ['an integer over 2^32-1', 'ff ffffffff0f', 'integerOverflow'],
    ['an integer with too many continuation bytes', 'ff 8080808080 00', 'integerOverflow'],
    ['a block ending inside an integer', 'ff 80', 'truncatedBlock'],
    ['a block ending before a value', '40 0161', 'truncatedBlock'],
    ['a string longer than the block', '40 0561 62', 'truncatedBlock'],
    ['a huge string length', '40 7fffffffff07', 'truncatedBlock'],
    ['Huffman padding of 8 bits', '40 0161 81ff', 'badHuffman'],
    ['Huffman padding not all ones', '40 0161 8100', 'badHuffman'],
    ['EOS inside a Huffman string', '40 0161 84ffffffff', 'badHuffman'],
    ['a huge table size update', '3f ffffffff0f', 'integerOverflow'],
  ];
  for (const [name, wire, cause] of cases) {
    test(`refuses ${name}`, () => {
      const decoder = createHpackDecoder();
      const error = failure(decoder.decode(hex(wire)));
      assert.equal(error.code, 'COMPRESSION_ERROR');
      assert.equal(error.cause, cause, error.reason);
      assert.match(error.reason, /RFC 7541 §/);
    });
  }

  test('is all or nothing per block, and unusable after an error', () => {
    const decoder = createHpackDecoder();
    const result = decoder.decode(
      Buffer.concat([encodeIndexedField(2), encodeIndexingLiteral('a', '1'), hex('80')]),
    );
    assert.deepEqual(Object.keys(result).sort(), ['error', 'kind']);
    const again = decoder.decode(encodeIndexedField(2));
    assert.equal(again.kind, 'failed');
    assert.equal(decoder.error?.cause, 'badIndex');
  });
});
