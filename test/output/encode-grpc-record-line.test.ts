import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { GrpcData } from '../../src/grpc/grpc-envelope.js';
import {
  encodeGrpcRecordLine,
  serializeRecord,
  toGrpcRecord,
} from '../../src/output/grpc-record.js';
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
