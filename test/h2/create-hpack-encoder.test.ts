/**
 * The proxy's HPACK encoder: never-indexed fields, table size updates the receiver requires,
 * taking over a receiver's table, and the stateless mode for injected responses. Each block is
 * checked against our decoder playing the receiver, tables compared after every block.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HeaderList } from '../../src/http2/channel-event.js';
import {
  createHpackDecoder,
  type HpackDecoder,
  type HpackDecoded,
} from '../../src/h2/create-hpack-decoder.js';
import { createHpackEncoder } from '../../src/h2/create-hpack-encoder.js';
import { encodeHeaderBlockWithoutTable } from '../../src/h2/encode-header-block-without-table.js';

function decodeOk(decoder: HpackDecoder, block: Uint8Array): HpackDecoded {
  const result = decoder.decode(block);
  assert.equal(result.kind, 'decoded', result.kind === 'failed' ? result.error.reason : '');
  return result;
}

const REQUEST: HeaderList = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':path', '/pkg.Service/Method'],
  [':authority', 'api.example.com:443'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
  ['authorization', 'Bearer secret-token'],
  ['cookie', 'session=abc'],
  ['x-trace', 'one'],
  ['x-trace', 'two'],
];

describe('createHpackEncoder', () => {
  test('sends credentials never-indexed and keeps them out of the table', () => {
    const encoder = createHpackEncoder();
    const decoder = createHpackDecoder();
    const result = decodeOk(decoder, encoder.encode(REQUEST));
    assert.deepEqual(result.headers, REQUEST);
    assert.equal(result.representations[6], 'neverIndexed');
    assert.equal(result.representations[7], 'neverIndexed');
    assert.ok(
      !encoder.tableEntries().some(([name]) => name === 'authorization' || name === 'cookie'),
    );
    assert.deepEqual(decoder.tableEntries(), encoder.tableEntries());
  });

  test('indexes what repeats, so the second identical block is a few bytes', () => {
    const encoder = createHpackEncoder();
    const decoder = createHpackDecoder();
    const first = encoder.encode(REQUEST);
    const second = encoder.encode(REQUEST);
    assert.ok(second.length < 60, `second block ${second.length} bytes, first ${first.length}`);
    decodeOk(decoder, first);
    assert.deepEqual(decodeOk(decoder, second).headers, REQUEST);
  });

  test('keeps fields that arrived never-indexed never-indexed (RFC 7541 §7.1.3)', () => {
    const encoder = createHpackEncoder();
    const headers: HeaderList = [
      ['x-api-key', 'k1'],
      ['x-other', 'v'],
    ];
    const result = decodeOk(
      createHpackDecoder(),
      encoder.encode(headers, ['neverIndexed', 'indexed']),
    );
    assert.deepEqual(result.representations, ['neverIndexed', 'incrementalIndexing']);
  });

  test('does not index a field that would flush the table', () => {
    const encoder = createHpackEncoder();
    const result = decodeOk(createHpackDecoder(), encoder.encode([['x-big', 'v'.repeat(3100)]]));
    assert.deepEqual(result.representations, ['withoutIndexing']);
    assert.equal(encoder.tableSize, 0);
  });

  test('signals the smallest and the final size after the receiver changes its limit', () => {
    const encoder = createHpackEncoder({ maxTableSize: 65_536 });
    const decoder = createHpackDecoder();
    decodeOk(decoder, encoder.encode(REQUEST));
    encoder.setTableSizeLimit(100);
    encoder.setTableSizeLimit(2000);
    decoder.setTableSizeLimit(2000);
    const block = encoder.encode(REQUEST);
    const result = decodeOk(decoder, block);
    assert.deepEqual(result.tableSizeUpdates, [100, 2000]);
    assert.deepEqual(result.headers, REQUEST);
    assert.deepEqual(decoder.tableEntries(), encoder.tableEntries());
    assert.deepEqual(decodeOk(decoder, encoder.encode(REQUEST)).tableSizeUpdates, []);
  });

  test('announces its own smaller table when the receiver allows more', () => {
    const encoder = createHpackEncoder({ tableSizeLimit: 65_536, maxTableSize: 4096 });
    const decoder = createHpackDecoder({ tableSizeLimit: 65_536 });
    assert.deepEqual(decodeOk(decoder, encoder.encode(REQUEST)).tableSizeUpdates, [4096]);
    assert.equal(decoder.maxTableSize, 4096);
  });

  test('takes over a receiver table filled by another encoder by emptying it first', () => {
    const previous = createHpackEncoder();
    const decoder = createHpackDecoder();
    decodeOk(decoder, previous.encode([['x-old', 'entry'], ...REQUEST]));
    assert.ok(decoder.tableEntries().length > 0);
    const takeover = createHpackEncoder({ clearReceiverTable: true });
    const first = takeover.encode(REQUEST);
    const result = decodeOk(decoder, first);
    assert.deepEqual(result.tableSizeUpdates, [0, 4096]);
    assert.deepEqual(result.headers, REQUEST);
    assert.deepEqual(decoder.tableEntries(), takeover.tableEntries());
    assert.deepEqual(decodeOk(decoder, takeover.encode(REQUEST)).headers, REQUEST);
  });
});

describe('encodeHeaderBlockWithoutTable', () => {
  const RESPONSE: HeaderList = [
    [':status', '200'],
    ['content-type', 'application/grpc'],
    ['grpc-status', '14'],
    ['grpc-message', 'upstream unreachable'],
    ['authorization', 'never-indexed'],
  ];

  test('decodes the same whatever the receiver table holds, and leaves the table unchanged', () => {
    const block = encodeHeaderBlockWithoutTable(RESPONSE);
    const empty = createHpackDecoder();
    const filled = createHpackDecoder();
    decodeOk(filled, createHpackEncoder().encode(REQUEST));
    const before = filled.tableEntries();
    for (const decoder of [empty, filled]) {
      const result = decodeOk(decoder, block);
      assert.deepEqual(result.headers, RESPONSE);
      assert.deepEqual(result.tableSizeUpdates, []);
      assert.ok(!result.representations.includes('incrementalIndexing'));
    }
    assert.deepEqual(filled.tableEntries(), before);
    assert.deepEqual(empty.tableEntries(), []);
    assert.equal(block[0], 0x88, ':status 200 is static index 8');
    assert.deepEqual(decodeOk(createHpackDecoder(), block).representations.at(-1), 'neverIndexed');
  });

  test('never references the dynamic table: every index byte is static', () => {
    const block = encodeHeaderBlockWithoutTable(REQUEST, { huffman: 'never' });
    const decoder = createHpackDecoder({ tableSizeCap: 0, tableSizeLimit: 0 });
    assert.deepEqual(decodeOk(decoder, block).headers, REQUEST);
  });
});
