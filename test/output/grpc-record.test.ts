import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GrpcData, GrpcEnd, GrpcFlow, GrpcStart } from '../../src/grpc/grpc-envelope.js';
import { serializeRecord, toGrpcRecord } from '../../src/output/grpc-record.js';
import { assertValidRecord } from '../helpers/record-schema.js';

const TIME = Date.UTC(2024, 4, 1, 12, 4, 5, 123);
const ISO = '2024-05-01T12:04:05.123Z';
const FLOW_ID = 'flow-0001';

const start: GrpcStart = {
  kind: 'start',
  flowId: FLOW_ID,
  time: TIME,
  sequence: 0,
  direction: 'send',
  service: 'helloworld.Greeter',
  method: 'SayHello',
  path: '/helloworld.Greeter/SayHello',
  authority: 'localhost:50051',
  contentType: 'application/grpc',
  encoding: null,
  acceptEncoding: 'gzip',
  timeout: '5S',
  metadata: [['x-user', 'ada']],
  headers: [
    [':path', '/helloworld.Greeter/SayHello'],
    ['content-type', 'application/grpc'],
    ['x-user', 'ada'],
  ],
};

const raw = new Uint8Array([0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
const dataEnvelope: GrpcData = {
  kind: 'data',
  flowId: FLOW_ID,
  time: TIME,
  sequence: 1,
  direction: 'send',
  compressed: false,
  wireLength: 3,
  length: 3,
  payload: raw.subarray(5),
  raw,
  anomalies: [],
};

const endEnvelope: GrpcEnd = {
  kind: 'end',
  flowId: FLOW_ID,
  time: TIME,
  sequence: 3,
  direction: 'receive',
  status: 5,
  statusName: 'NOT_FOUND',
  message: 'no such user',
  statusDetails: new Uint8Array([8, 5]),
  trailers: [['x-cost', '7']],
  synthetic: false,
  raw: [
    ['grpc-status', '5'],
    ['x-cost', '7'],
  ],
  error: null,
};

const flow: GrpcFlow = {
  kind: 'flow',
  flowId: FLOW_ID,
  time: TIME,
  flowType: 'unary',
  state: 'complete',
  service: 'helloworld.Greeter',
  method: 'SayHello',
  status: 5,
  requestMessages: 1,
  responseMessages: 0,
  durationMs: 12,
};

describe('toGrpcRecord', () => {
  it('writes a start record with ISO time and header pairs', () => {
    const record = toGrpcRecord(start);
    assert.deepEqual(record, {
      protocol: 'grpc',
      event: 'start',
      time: ISO,
      flowId: FLOW_ID,
      sequence: 0,
      direction: 'send',
      service: 'helloworld.Greeter',
      method: 'SayHello',
      path: '/helloworld.Greeter/SayHello',
      authority: 'localhost:50051',
      contentType: 'application/grpc',
      encoding: null,
      acceptEncoding: 'gzip',
      timeout: '5S',
      metadata: [['x-user', 'ada']],
      headers: start.headers,
    });
    assertValidRecord(record);
  });

  it('writes a data record with base64 bytes and no anomalies field when there are none', () => {
    const record = toGrpcRecord(dataEnvelope);
    assert.deepEqual(record, {
      protocol: 'grpc',
      event: 'data',
      time: ISO,
      flowId: FLOW_ID,
      sequence: 1,
      direction: 'send',
      compressed: false,
      wireLength: 3,
      length: 3,
      payload: 'YWJj',
      raw: 'AAAAAANhYmM=',
    });
    assertValidRecord(record);
  });

  it('lists anomalies, its own first, then those of a later stage', () => {
    const envelope: GrpcData = {
      ...dataEnvelope,
      compressed: true,
      length: null,
      payload: null,
      anomalies: [
        { code: 'UNSUPPORTED_ENCODING', message: 'cannot decompress grpc-encoding "zstd"' },
      ],
    };
    const later = { code: 'DECODE_FAILED', message: 'no schema' };
    const record = toGrpcRecord(envelope, { anomalies: [later] });
    assert.deepEqual(record.event === 'data' && record.anomalies, [...envelope.anomalies, later]);
    assert.equal(record.event === 'data' && record.payload, null);
    assertValidRecord(record);
  });

  it('merges the fields of a later stage into data records without letting them override', () => {
    const decoded = { name: 'abc' };
    const record = toGrpcRecord(dataEnvelope, {
      decoded,
      decodedAs: 'schema',
      payload: 'overridden?',
    });
    assert.equal(record.event === 'data' && record.payload, 'YWJj');
    assert.equal(record.event === 'data' && record.decoded, decoded);
    assert.equal(record.event === 'data' && record.decodedAs, 'schema');
    assertValidRecord(record);
    assert.equal('decoded' in toGrpcRecord(start, { decoded }), false);
  });

  it('cuts payload and raw to the output cap and marks the record', () => {
    const record = toGrpcRecord(dataEnvelope, undefined, { maxPayloadBytes: 2 });
    assert.equal(record.event === 'data' && record.payload, 'YWI=');
    assert.equal(record.event === 'data' && record.raw, 'AAA=');
    assert.equal(record.event === 'data' && record.payloadTruncated, true);
    assert.equal(record.event === 'data' && record.length, 3);
    assertValidRecord(record);
    const roomy = toGrpcRecord(dataEnvelope, undefined, { maxPayloadBytes: 8 });
    assert.equal('payloadTruncated' in roomy, false);
  });

  it('writes an end record with base64 status details', () => {
    const record = toGrpcRecord(endEnvelope);
    assert.deepEqual(record, {
      protocol: 'grpc',
      event: 'end',
      time: ISO,
      flowId: FLOW_ID,
      sequence: 3,
      direction: 'receive',
      status: 5,
      statusName: 'NOT_FOUND',
      message: 'no such user',
      statusDetails: 'CAU=',
      trailers: [['x-cost', '7']],
      synthetic: false,
      raw: endEnvelope.raw,
      error: null,
    });
    assertValidRecord(record);
  });

  it('writes an end record of a reset with a null status and the error', () => {
    const record = toGrpcRecord({
      ...endEnvelope,
      status: null,
      statusName: null,
      message: '',
      statusDetails: null,
      trailers: [],
      raw: null,
      error: { code: 'CANCEL', reason: 'client cancelled', side: 'client' },
    });
    assert.equal(record.event === 'end' && record.status, null);
    assert.deepEqual(record.event === 'end' && record.error, {
      code: 'CANCEL',
      reason: 'client cancelled',
      side: 'client',
    });
    assertValidRecord(record);
  });

  it('writes a flow record without sequence or direction', () => {
    const record = toGrpcRecord(flow);
    assert.deepEqual(record, {
      protocol: 'grpc',
      event: 'flow',
      time: ISO,
      flowId: FLOW_ID,
      flowType: 'unary',
      state: 'complete',
      service: 'helloworld.Greeter',
      method: 'SayHello',
      status: 5,
      requestMessages: 1,
      responseMessages: 0,
      durationMs: 12,
    });
    assertValidRecord(record);
  });
});

describe('serializeRecord', () => {
  it('writes one JSON line ending in a newline', () => {
    const line = serializeRecord(toGrpcRecord(dataEnvelope));
    assert.equal(line.endsWith('\n'), true);
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.deepEqual(JSON.parse(line), toGrpcRecord(dataEnvelope));
  });
});

describe('record schema', () => {
  const invalid: [string, Record<string, unknown>][] = [
    ['a start without headers', { ...toGrpcRecord(start), headers: undefined }],
    ['a start with an unknown field', { ...toGrpcRecord(start), extra: 1 }],
    ['a data record with a string length', { ...toGrpcRecord(dataEnvelope), length: '3' }],
    ['a data record with empty anomalies', { ...toGrpcRecord(dataEnvelope), anomalies: [] }],
    [
      'a data record with a false payloadTruncated',
      { ...toGrpcRecord(dataEnvelope), payloadTruncated: false },
    ],
    ['a data record with non-base64 raw', { ...toGrpcRecord(dataEnvelope), raw: 'not base64!' }],
    [
      'an end with both status and error',
      { ...toGrpcRecord(endEnvelope), error: { code: 'X', reason: '', side: 'proxy' } },
    ],
    ['a synthetic end with raw trailers', { ...toGrpcRecord(endEnvelope), synthetic: true }],
    [
      'an end with a bad side',
      {
        ...toGrpcRecord(endEnvelope),
        status: null,
        statusName: null,
        error: { code: 'X', reason: '', side: 'server' },
      },
    ],
    ['a flow with a sequence', { ...toGrpcRecord(flow), sequence: 4 }],
    ['an error flow with a status', { ...toGrpcRecord(flow), state: 'error' }],
    ['a record with a bad time', { ...toGrpcRecord(flow), time: 'yesterday' }],
    ['a header pair with three items', { ...toGrpcRecord(start), metadata: [['a', 'b', 'c']] }],
  ];
  for (const [label, record] of invalid) {
    it(`rejects ${label}`, () => assert.throws(() => assertValidRecord(record), /does not match/));
  }

  it('accepts decoded status details on an end record', () => {
    assertValidRecord({ ...toGrpcRecord(endEnvelope), statusDetailsDecoded: { code: 5 } });
  });

  it('accepts a plain HTTP exchange record with extra fields', () => {
    assertValidRecord({
      protocol: 'http',
      event: 'exchange',
      time: ISO,
      flowId: 'h-1',
      method: 'GET',
      authority: 'example.test',
      path: '/',
      status: null,
      durationMs: 3,
    });
  });
});
