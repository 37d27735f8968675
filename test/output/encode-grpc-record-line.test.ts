import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import type { GrpcData } from '../../src/grpc/grpc-envelope.js';
import {
  encodeGrpcRecordLine,
  serializeRecord,
  toGrpcRecord,
} from '../../src/output/grpc-record.js';
import { decodeSchemaless } from '../../src/schema/decode-schemaless.js';
import { flow, message, ok, start } from './line-fixtures.js';

const reference = (envelope: Parameters<typeof toGrpcRecord>[0], extra?: Record<string, unknown>) =>
  Buffer.from(serializeRecord(toGrpcRecord(envelope, extra)), 'utf8');

test('encodes start, end and flow records exactly as serializeRecord does', () => {
  for (const envelope of [start, ok, flow, message]) {
    assert.deepEqual(encodeGrpcRecordLine(envelope), reference(envelope));
  }
});

test('encodes data records of any size and any decoded extra exactly as serializeRecord does', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 4096 }),
      fc.boolean(),
      fc.option(fc.jsonValue(), { nil: undefined }),
      fc.string(),
      (payload, withPayload, decoded, anomalyText) => {
        const envelope: GrpcData = {
          ...message,
          wireLength: payload.length,
          length: withPayload ? payload.length : null,
          payload: withPayload ? payload : null,
          raw: Uint8Array.from([0, 0, 0, 0, payload.length & 0xff, ...payload]),
          anomalies: anomalyText ? [{ code: 'X', message: anomalyText }] : [],
        };
        const extra =
          decoded === undefined ? undefined : { decoded, decodedAs: 'schemaless', anomalies: [] };
        assert.deepEqual(encodeGrpcRecordLine(envelope, extra), reference(envelope, extra));
      },
    ),
    { numRuns: 300 },
  );
});

test('encodes a data record with the plain strings of its schemaless view exactly as serializeRecord does', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          // Long text that JSON holds as it is, text with printable characters JSON escapes,
          // and text with line breaks, tabs or non-ASCII letters.
          ...[
            ['x', 'y', ' ', '!', '~'],
            ['a', ' ', '"', '\\'],
            ['a', ' ', '\n', '\t', 'é'],
          ].map((units) =>
            fc.string({ unit: fc.constantFrom(...units), minLength: 1000, maxLength: 3000 }),
          ),
          fc.uint8Array({ minLength: 800, maxLength: 3000 }),
          fc.string({ maxLength: 20 }),
        ),
        { maxLength: 4 },
      ),
      (fields) => {
        const writer = new BinaryWriter();
        for (const [i, field] of fields.entries()) {
          writer.tag(i + 1, WireType.LengthDelimited);
          if (typeof field === 'string') writer.string(field);
          else writer.bytes(field);
        }
        const payload = writer.finish();
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(payload.length, 1);
        const envelope: GrpcData = {
          ...message,
          wireLength: payload.length,
          length: payload.length,
          payload,
          raw: Buffer.concat([prefix, payload]),
        };
        const view = decodeSchemaless(payload);
        const extra = { decoded: view.value, decodedAs: 'schemaless', anomalies: view.anomalies };
        assert.deepEqual(
          encodeGrpcRecordLine(envelope, extra, view.plainStrings),
          reference(envelope, extra),
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('encodes a message over a megabyte exactly as serializeRecord does', () => {
  for (const size of [1024 * 1024, 2 * 1024 * 1024 + 7]) {
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(size, 1);
    const envelope: GrpcData = {
      ...message,
      wireLength: size,
      length: size,
      payload,
      raw: Buffer.concat([prefix, payload]),
    };
    const view = decodeSchemaless(payload);
    const extra = { decoded: view.value, decodedAs: 'schemaless', anomalies: view.anomalies };
    assert.ok(
      encodeGrpcRecordLine(envelope, extra, view.plainStrings).equals(reference(envelope, extra)),
      `${size} bytes`,
    );
  }
});
