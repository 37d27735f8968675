/**
 * The worked examples of RFC 7541 Appendix C, byte for byte: each block decodes to the listed
 * header list and leaves the listed dynamic table (entries newest first, and the table size), and
 * the proxy's encoder, whose representation choices are those of the examples, produces the same
 * bytes (C.4 with Huffman when shorter; C.6 Huffman-codes every string, "307" included, whose
 * Huffman coding is no shorter, hence `huffman: 'always'` there).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HeaderList } from '../../src/http2/channel-event.js';
import { createHpackDecoder, type HpackDecoder } from '../../src/h2/create-hpack-decoder.js';
import { createHpackEncoder } from '../../src/h2/create-hpack-encoder.js';
import type { HuffmanChoice } from '../../src/h2/hpack-block-writer.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

interface Step {
  readonly name: string;
  readonly wire: string;
  readonly headers: HeaderList;
  /** Dynamic table after the step, newest first. */
  readonly table: HeaderList;
  readonly tableSize: number;
}

function decodeOk(decoder: HpackDecoder, wire: Buffer): HeaderList {
  const result = decoder.decode(wire);
  assert.equal(result.kind, 'decoded', JSON.stringify(result));
  if (result.kind !== 'decoded') throw new Error('unreachable');
  return result.headers;
}

function runSequence(steps: readonly Step[], tableSize: number, huffman: HuffmanChoice): void {
  test('decodes each block and leaves the listed dynamic table', () => {
    const decoder = createHpackDecoder({ tableSizeLimit: tableSize });
    for (const step of steps) {
      assert.deepEqual(decodeOk(decoder, hex(step.wire)), step.headers, step.name);
      assert.deepEqual(decoder.tableEntries(), step.table, `${step.name}: table`);
      assert.equal(decoder.tableSize, step.tableSize, `${step.name}: table size`);
    }
  });
  test('encodes each header list to the same bytes and the same table', () => {
    const encoder = createHpackEncoder({
      tableSizeLimit: tableSize,
      maxTableSize: tableSize,
      huffman,
    });
    for (const step of steps) {
      assert.equal(encoder.encode(step.headers).toString('hex'), hex(step.wire).toString('hex'));
      assert.deepEqual(encoder.tableEntries(), step.table, `${step.name}: table`);
      assert.equal(encoder.tableSize, step.tableSize, `${step.name}: table size`);
    }
  });
}

const REQUEST_1: HeaderList = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
];
const REQUEST_2: HeaderList = [...REQUEST_1, ['cache-control', 'no-cache']];
const REQUEST_3: HeaderList = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
];
const AUTHORITY: HeaderList = [[':authority', 'www.example.com']];
const REQUEST_TABLES: readonly HeaderList[] = [
  AUTHORITY,
  [['cache-control', 'no-cache'], ...AUTHORITY],
  [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], ...AUTHORITY],
];

function requests(wires: readonly string[]): Step[] {
  return [REQUEST_1, REQUEST_2, REQUEST_3].map((headers, index) => ({
    name: `request ${index + 1}`,
    wire: wires[index] as string,
    headers,
    table: REQUEST_TABLES[index] as HeaderList,
    tableSize: [57, 110, 164][index] as number,
  }));
}

const DATE_1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE_2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESPONSE_1: HeaderList = [
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', DATE_1],
  ['location', LOCATION],
];
const RESPONSE_2: HeaderList = [[':status', '307'], ...RESPONSE_1.slice(1)];
const RESPONSE_3: HeaderList = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', DATE_2],
  ['location', LOCATION],
  ['content-encoding', 'gzip'],
  ['set-cookie', COOKIE],
];
const RESPONSE_TABLES: readonly HeaderList[] = [
  [
    ['location', LOCATION],
    ['date', DATE_1],
    ['cache-control', 'private'],
    [':status', '302'],
  ],
  [
    [':status', '307'],
    ['location', LOCATION],
    ['date', DATE_1],
    ['cache-control', 'private'],
  ],
  [
    ['set-cookie', COOKIE],
    ['content-encoding', 'gzip'],
    ['date', DATE_2],
  ],
];

function responses(wires: readonly string[]): Step[] {
  return [RESPONSE_1, RESPONSE_2, RESPONSE_3].map((headers, index) => ({
    name: `response ${index + 1}`,
    wire: wires[index] as string,
    headers,
    table: RESPONSE_TABLES[index] as HeaderList,
    tableSize: [222, 222, 215][index] as number,
  }));
}

describe('RFC 7541 C.2: header field representations', () => {
  const cases: readonly {
    name: string;
    wire: string;
    field: readonly [string, string];
    representation: string;
    table: HeaderList;
  }[] = [
    {
      name: 'C.2.1 literal with indexing',
      wire: '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
      field: ['custom-key', 'custom-header'],
      representation: 'incrementalIndexing',
      table: [['custom-key', 'custom-header']],
    },
    {
      name: 'C.2.2 literal without indexing',
      wire: '040c 2f73 616d 706c 652f 7061 7468',
      field: [':path', '/sample/path'],
      representation: 'withoutIndexing',
      table: [],
    },
    {
      name: 'C.2.3 literal never indexed',
      wire: '1008 7061 7373 776f 7264 0673 6563 7265 74',
      field: ['password', 'secret'],
      representation: 'neverIndexed',
      table: [],
    },
    {
      name: 'C.2.4 indexed',
      wire: '82',
      field: [':method', 'GET'],
      representation: 'indexed',
      table: [],
    },
  ];
  for (const example of cases) {
    test(`decodes ${example.name}`, () => {
      const decoder = createHpackDecoder();
      const result = decoder.decode(hex(example.wire));
      assert.equal(result.kind, 'decoded');
      if (result.kind !== 'decoded') return;
      assert.deepEqual(result.headers, [example.field]);
      assert.deepEqual(result.representations, [example.representation]);
      assert.deepEqual(decoder.tableEntries(), example.table);
      assert.equal(decoder.tableSize, example.table.length === 0 ? 0 : 55);
    });
  }

  test('encodes C.2.1 and, for a field marked sensitive, C.2.3', () => {
    const encoder = createHpackEncoder({ sensitiveNames: new Set(['password']), huffman: 'never' });
    assert.equal(
      encoder.encode([['custom-key', 'custom-header']]).toString('hex'),
      hex(cases[0]?.wire ?? '').toString('hex'),
    );
    assert.equal(
      encoder.encode([['password', 'secret']]).toString('hex'),
      hex(cases[2]?.wire ?? '').toString('hex'),
    );
    assert.equal(encoder.encode([[':method', 'GET']]).toString('hex'), '82');
  });
});

describe('RFC 7541 C.3: requests without Huffman coding', () => {
  runSequence(
    requests([
      '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '8286 84be 5808 6e6f 2d63 6163 6865',
      '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    ]),
    4096,
    'never',
  );
});

describe('RFC 7541 C.4: requests with Huffman coding', () => {
  runSequence(
    requests([
      '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
      '8286 84be 5886 a8eb 1064 9cbf',
      '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    ]),
    4096,
    'shorter',
  );
});

describe('RFC 7541 C.5: responses without Huffman coding, table size 256', () => {
  runSequence(
    responses([
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133' +
        '2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70' +
        '6c65 2e63 6f6d',
      '4803 3330 37c1 c0bf',
      '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d' +
        '54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049' +
        '5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e' +
        '3d31',
    ]),
    256,
    'never',
  );
});

describe('RFC 7541 C.6: responses with Huffman coding, table size 256', () => {
  runSequence(
    responses([
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6' +
        '2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
      '4883 640e ffc1 c0bf',
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab' +
        '77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f' +
        '9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    ]),
    256,
    'always',
  );
});
