import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { SchemaRegistry } from '../../src/schema/message-schema.js';
import { encode, hex, loadFromDescriptorSets, loadFromProtoFiles } from './schema-fixtures.js';

const ORDER = 'grpctap.fixtures.v1.Order';
const PROFILE_V1 = 'grpctap.fixtures.v1.Profile';
const PROFILE_V2 = 'grpctap.fixtures.v2.Profile';
const LEGACY = 'grpctap.fixtures.v1.Legacy';

const profileV2 = {
  name: 'ann',
  age: 31,
  address: { street: 'Main', city: 'Oslo' },
  nickname: 'annie',
  balance: { currency_code: 'NOK', units: 5 },
  badges: [-1, 5],
};

const order = {
  id: 'o-1',
  customer: { display_name: 'Ann', email: 'ann@example.com' },
  items: [
    { sku: 'A-1', quantity: 2 },
    { sku: 'B-2', quantity: 1 },
  ],
  tags: { gift: 1 },
  card: { number: '4111', expiry_year: 2030 },
  status: 'ORDER_STATUS_SHIPPED',
  extra: {
    type_url: 'type.googleapis.com/grpctap.fixtures.v1.Item',
    value: encode('grpctap.fixtures.v1.Item', { sku: 'X', quantity: 9 }),
  },
  created_at: { seconds: 1700000000, nanos: 5000000 },
  ttl: { seconds: 90, nanos: 500000000 },
  attributes: { fields: { color: { stringValue: 'red' }, size: { numberValue: 3 } } },
  total: { currency_code: 'EUR', units: 12, nanos: 500000000 },
  big: '-9007199254740993',
  delta: -3,
  ratio: 0.25,
  blob: Uint8Array.of(1, 2, 3),
  items_by_slot: { 3: { sku: 'Z', quantity: 1 } },
  scores: [1, -2],
  note: '',
  checksum: '18446744073709551615',
  weight: 1.5,
  gift_message: 'enjoy',
};

const orderJson = {
  id: 'o-1',
  customer: { displayName: 'Ann', email: 'ann@example.com' },
  items: [
    { sku: 'A-1', quantity: 2 },
    { sku: 'B-2', quantity: 1 },
  ],
  tags: { gift: 1 },
  card: { number: '4111', expiryYear: 2030 },
  status: 'ORDER_STATUS_SHIPPED',
  extra: { '@type': 'type.googleapis.com/grpctap.fixtures.v1.Item', sku: 'X', quantity: 9 },
  createdAt: '2023-11-14T22:13:20.005Z',
  ttl: '90.500s',
  attributes: { color: 'red', size: 3 },
  total: { currencyCode: 'EUR', units: '12', nanos: 500000000 },
  big: '-9007199254740993',
  delta: -3,
  ratio: 0.25,
  blob: 'AQID',
  itemsBySlot: { 3: { sku: 'Z', quantity: 1 } },
  scores: [1, -2],
  note: '',
  checksum: '18446744073709551615',
  weight: 1.5,
  giftNote: 'enjoy',
};

let fromProto: SchemaRegistry;
let fromSets: SchemaRegistry;
before(async () => {
  fromProto = await loadFromProtoFiles();
  fromSets = await loadFromDescriptorSets();
});

describe('decoding with a schema', () => {
  it('decodes nested, repeated, map, oneof, enum, Any and well-known type fields to proto-JSON', () => {
    assert.deepEqual(fromProto.decode(ORDER, encode(ORDER, order)), { json: orderJson });
  });

  it('decodes the other member of a oneof and leaves unset fields out', () => {
    assert.deepEqual(fromProto.decode(ORDER, encode(ORDER, { id: 'o-2', voucher: 'SAVE10' })), {
      json: { id: 'o-2', voucher: 'SAVE10' },
    });
  });

  it('gives the same JSON from .proto files and from protoc descriptor sets', () => {
    const samples: readonly (readonly [string, Uint8Array])[] = [
      [ORDER, encode(ORDER, order)],
      [PROFILE_V1, encode(PROFILE_V2, profileV2)],
      [
        LEGACY,
        encode(LEGACY, { id: 'x', meta: { revision: 4 }, color: 'COLOR_GREEN', codes: [1, 2] }),
      ],
    ];
    for (const [typeName, bytes] of samples) {
      const mine = fromProto.decode(typeName, bytes);
      assert.ok('json' in mine, typeName);
      assert.deepEqual(mine, fromSets.decode(typeName, bytes), typeName);
    }
  });

  it('shows fields the schema lacks under _unknown, in the object of the message that carried them', () => {
    assert.deepEqual(fromProto.decode(PROFILE_V1, encode(PROFILE_V2, profileV2)), {
      json: {
        name: 'ann',
        age: 31,
        address: { street: 'Main', _unknown: { 2: 'Oslo' } },
        balance: { currencyCode: 'NOK', units: '5' },
        // badges: packed sint64 [-1, 5] is 0x01 0x0a on the wire.
        _unknown: { 4: 'annie', 6: { bytes: 'AQo=' } },
      },
    });
  });

  it('shows unknown fields inside list items and map values', () => {
    // items[0] = {sku: "Y", 7: "x"}; items_by_slot[3] = {sku: "Z", 7: "x"}
    const bytes = hex('1a 06 0a0159 3a0178  8a01 0a 0803 1206 0a015a 3a0178');
    assert.deepEqual(fromProto.decode(ORDER, bytes), {
      json: {
        items: [{ sku: 'Y', _unknown: { 7: 'x' } }],
        itemsBySlot: { 3: { sku: 'Z', _unknown: { 7: 'x' } } },
      },
    });
  });

  it('shows an Any of a type the schema lacks as its @type and a schemaless view of its value', () => {
    const bytes = encode(ORDER, {
      extra: { type_url: 'type.googleapis.com/acme.Secret', value: hex('0a03616263 1007') },
    });
    assert.deepEqual(fromProto.decode(ORDER, bytes), {
      json: { extra: { '@type': 'type.googleapis.com/acme.Secret', _unknown: { 1: 'abc', 2: 7 } } },
    });
  });

  it('shows unknown fields of a message packed in an Any', () => {
    const bytes = encode(ORDER, {
      extra: {
        type_url: `type.googleapis.com/${PROFILE_V1}`,
        value: encode(PROFILE_V2, { name: 'ann', nickname: 'annie' }),
      },
    });
    assert.deepEqual(fromProto.decode(ORDER, bytes), {
      json: {
        extra: {
          '@type': `type.googleapis.com/${PROFILE_V1}`,
          name: 'ann',
          _unknown: { 4: 'annie' },
        },
      },
    });
  });

  it('decodes proto2 groups and extensions, and shows unknown closed-enum values as unknown fields', () => {
    const bytes = encode(LEGACY, {
      id: 'x',
      meta: { revision: 4 },
      color: 'COLOR_GREEN',
      codes: [1, 2],
      '.grpctap.fixtures.v1.comment': 'hi',
    });
    assert.deepEqual(fromProto.decode(LEGACY, bytes), {
      json: {
        id: 'x',
        meta: { revision: 4 },
        color: 'COLOR_GREEN',
        codes: [1, 2],
        '[grpctap.fixtures.v1.comment]': 'hi',
      },
    });
    assert.deepEqual(fromProto.decode(LEGACY, hex('0a0178 1809')), {
      json: { id: 'x', _unknown: { 3: 9 } },
    });
  });
});

describe('decoding with a schema that does not fit', () => {
  it('reports a field whose wire type differs from its declaration', () => {
    // age (int32) sent as a fixed32.
    const result = fromProto.decode(PROFILE_V1, hex('15 05000000'));
    assert.ok('error' in result);
    assert.match(result.error, /Profile\.age \(2\) has wire type 5 \(Bit32\)/);
  });

  it('reports a mismatch inside a nested message and a map entry', () => {
    const nested = fromProto.decode(PROFILE_V1, hex('1a 02 0801'));
    assert.ok('error' in nested && /Address\.street/.test(nested.error), JSON.stringify(nested));
    // tags is map<string, int32>; this entry's value is length-delimited.
    const entry = fromProto.decode(ORDER, hex('22 06 0a0161 120162'));
    assert.ok(
      'error' in entry && /tags \(4\): entry field 2/.test(entry.error),
      JSON.stringify(entry),
    );
  });

  it('reports truncated bytes', () => {
    const result = fromProto.decode(PROFILE_V1, hex('0a 05 616e'));
    assert.ok('error' in result);
  });

  it('reports invalid UTF-8 in a proto3 string', () => {
    const result = fromProto.decode(ORDER, hex('0a 02 fffe'));
    assert.ok('error' in result);
    assert.match(result.error, /utf-8/i);
  });

  it('reports a message type the schema does not have', () => {
    assert.deepEqual(fromProto.decode('acme.Nope', new Uint8Array(0)), {
      error: 'message type acme.Nope is not in the schema',
    });
  });
});
