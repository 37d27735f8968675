import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import {
  createMessageDecoder,
  type DecodedView,
  DECODE_FAILED,
  SCHEMA_MISMATCH,
} from '../../src/schema/create-message-decoder.js';
import { SCHEMALESS_MALFORMED } from '../../src/schema/decode-schemaless.js';
import type { SchemaRegistry } from '../../src/schema/message-schema.js';
import type { MethodResolver } from '../../src/schema/method-resolver.js';
import { encode, hex, loadFromProtoFiles } from './schema-fixtures.js';

const GET_ORDER = '/grpctap.fixtures.v1.ShopService/GetOrder';
const AUTHORITY = 'shop.example:443';

let registry: SchemaRegistry;
before(async () => {
  registry = await loadFromProtoFiles();
});

function anyOf(typeName: string, value: Uint8Array): Uint8Array {
  return new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string(`type.googleapis.com/${typeName}`)
    .tag(2, WireType.LengthDelimited)
    .bytes(value)
    .finish();
}

function statusOf(code: number, message: string, details: readonly Uint8Array[]): Uint8Array {
  const writer = new BinaryWriter().tag(1, WireType.Varint).int32(code);
  writer.tag(2, WireType.LengthDelimited).string(message);
  for (const detail of details) writer.tag(3, WireType.LengthDelimited).bytes(detail);
  return writer.finish();
}

/** The view's fields, the lazily formatted preview included, as a plain object. */
function fieldsOf(view: DecodedView): Record<string, unknown> {
  const { decoded, decodedAs, anomalies, preview } = view;
  return { decoded, decodedAs, anomalies, preview };
}

describe('createMessageDecoder for messages', () => {
  it('decodes requests with the input type and responses with the output type', () => {
    const decoder = createMessageDecoder({ registry });
    const request = decoder.decodeMessage(
      GET_ORDER,
      AUTHORITY,
      'send',
      encode('grpctap.fixtures.v1.GetOrderRequest', { id: 'o-7' }),
    );
    assert.deepEqual(fieldsOf(request), {
      decoded: { id: 'o-7' },
      decodedAs: 'schema',
      anomalies: [],
      preview: '{id: "o-7"}',
    });
    const response = decoder.decodeMessage(
      GET_ORDER,
      AUTHORITY,
      'receive',
      encode('grpctap.fixtures.v1.Order', { id: 'o-7', status: 'ORDER_STATUS_PENDING' }),
    );
    assert.deepEqual(response.decoded, { id: 'o-7', status: 'ORDER_STATUS_PENDING' });
    assert.equal(response.preview, '{id: "o-7", status: "ORDER_STATUS_PENDING"}');
  });

  it('falls back to the schemaless view with SCHEMA_MISMATCH when the bytes do not fit', () => {
    const decoder = createMessageDecoder({ registry });
    const view = decoder.decodeMessage(GET_ORDER, AUTHORITY, 'send', hex('08 07'));
    assert.equal(view.decodedAs, 'schemaless');
    assert.deepEqual(view.decoded, { 1: 7 });
    assert.equal(view.preview, '{1: 7}');
    assert.deepEqual(
      view.anomalies.map((anomaly) => anomaly.code),
      [SCHEMA_MISMATCH],
    );
    assert.match(
      view.anomalies[0]?.message ?? '',
      /^grpctap\.fixtures\.v1\.GetOrderRequest: field/,
    );
  });

  it('adds the schemaless anomalies after SCHEMA_MISMATCH for malformed bytes', () => {
    const view = createMessageDecoder({ registry }).decodeMessage(
      GET_ORDER,
      AUTHORITY,
      'send',
      hex('0a 05 61'),
    );
    assert.deepEqual(
      view.anomalies.map((anomaly) => anomaly.code),
      [SCHEMA_MISMATCH, SCHEMALESS_MALFORMED],
    );
  });

  it('decodes schemalessly without a schema or for a path the schema lacks', () => {
    const bytes = hex('0a 05 68656c6c6f');
    for (const decoder of [
      createMessageDecoder({ registry: null }),
      createMessageDecoder({ registry }),
    ]) {
      assert.deepEqual(
        fieldsOf(decoder.decodeMessage('/acme.Other/Call', AUTHORITY, 'send', bytes)),
        {
          decoded: { 1: 'hello' },
          decodedAs: 'schemaless',
          anomalies: [],
          preview: '{1: "hello"}',
        },
      );
    }
  });

  it('asks the resolver about unknown services and uses what it resolved for later messages', () => {
    const asked: string[] = [];
    let resolved: SchemaRegistry | null = null;
    const resolver: MethodResolver = {
      registryFor: (authority) => (authority === AUTHORITY ? resolved : null),
      request: (authority, service) => {
        asked.push(`${authority} ${service}`);
        return Promise.resolve();
      },
    };
    const decoder = createMessageDecoder({ registry: null, resolver });
    const bytes = encode('grpctap.fixtures.v1.GetOrderRequest', { id: 'o-1' });
    assert.equal(
      decoder.decodeMessage(GET_ORDER, AUTHORITY, 'send', bytes).decodedAs,
      'schemaless',
    );
    assert.deepEqual(asked, [`${AUTHORITY} grpctap.fixtures.v1.ShopService`]);
    resolved = registry;
    assert.deepEqual(decoder.decodeMessage(GET_ORDER, AUTHORITY, 'send', bytes).decoded, {
      id: 'o-1',
    });
    assert.equal(asked.length, 1);
  });

  it('never throws on random bytes and gives either the schema view or SCHEMA_MISMATCH', () => {
    const decoder = createMessageDecoder({ registry });
    // Random bytes plus mutations of a valid message, which get further into the schema.
    const valid = encode('grpctap.fixtures.v1.Order', {
      id: 'o-1',
      items: [{ sku: 'a', quantity: 1 }],
      tags: { a: 1 },
      extra: { type_url: 'type.googleapis.com/grpctap.fixtures.v1.Card', value: hex('0a0134') },
    });
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }))
        .map(([index, byte]) =>
          Uint8Array.from(valid, (value, at) => (at === index ? byte : value)),
        ),
    );
    fc.assert(
      fc.property(bytes, (payload) => {
        const view = decoder.decodeMessage(GET_ORDER, AUTHORITY, 'receive', payload);
        JSON.stringify(view);
        if (view.decodedAs === 'schema') assert.deepEqual(view.anomalies, []);
        else assert.equal(view.anomalies[0]?.code, SCHEMA_MISMATCH);
      }),
      { numRuns: 1000 },
    );
  });

  it('returns DECODE_FAILED instead of throwing when a registry fails unexpectedly', () => {
    const broken: SchemaRegistry = {
      ...registry,
      findMethod: () => ({ requestType: 'a.B', responseType: 'a.C' }),
      decode: () => {
        throw new Error('boom');
      },
    };
    const view = createMessageDecoder({ registry: broken }).decodeMessage(
      GET_ORDER,
      AUTHORITY,
      'send',
      hex('08 01'),
    );
    assert.deepEqual(view, {
      decoded: null,
      decodedAs: 'schemaless',
      anomalies: [{ code: DECODE_FAILED, message: 'boom' }],
      preview: '',
    });
  });
});

describe('createMessageDecoder for status details', () => {
  const violation = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .string('id')
    .tag(2, WireType.LengthDelimited)
    .string('must not be empty')
    .finish();
  const badRequest = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(violation).finish();
  const retryInfo = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .bytes(
      new BinaryWriter()
        .tag(1, WireType.Varint)
        .int64(1)
        .tag(2, WireType.Varint)
        .int32(500_000_000)
        .finish(),
    )
    .finish();

  it('decodes google.rpc.Status with built-in error details and no user schema', () => {
    const bytes = statusOf(3, 'bad order', [
      anyOf('google.rpc.BadRequest', badRequest),
      anyOf('google.rpc.RetryInfo', retryInfo),
    ]);
    const view = createMessageDecoder({ registry: null }).decodeStatusDetails(
      bytes,
      GET_ORDER,
      AUTHORITY,
    );
    assert.equal(view.decodedAs, 'schema');
    assert.deepEqual(view.anomalies, []);
    assert.deepEqual(view.decoded, {
      code: 3,
      message: 'bad order',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: 'id', description: 'must not be empty' }],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s' },
      ],
    });
  });

  it('decodes a detail whose type comes from the user schema, and an unknown one schemalessly', () => {
    const bytes = statusOf(9, 'card rejected', [
      anyOf('grpctap.fixtures.v1.Card', encode('grpctap.fixtures.v1.Card', { number: '4111' })),
      anyOf('acme.Oops', hex('0a 01 78')),
    ]);
    const view = createMessageDecoder({ registry }).decodeStatusDetails(
      bytes,
      GET_ORDER,
      AUTHORITY,
    );
    assert.deepEqual(view.decoded, {
      code: 9,
      message: 'card rejected',
      details: [
        { '@type': 'type.googleapis.com/grpctap.fixtures.v1.Card', number: '4111' },
        { '@type': 'type.googleapis.com/acme.Oops', _unknown: { 1: 'x' } },
      ],
    });
  });

  it('shows malformed status details schemalessly with SCHEMA_MISMATCH', () => {
    const view = createMessageDecoder({ registry: null }).decodeStatusDetails(
      hex('1a 09 0a'),
      GET_ORDER,
      AUTHORITY,
    );
    assert.equal(view.decodedAs, 'schemaless');
    assert.deepEqual(
      view.anomalies.map((anomaly) => anomaly.code),
      [SCHEMA_MISMATCH, SCHEMALESS_MALFORMED],
    );
  });
});
