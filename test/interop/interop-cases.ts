/**
 * The interop cases the suites run, and what the proxy's records must say about each, whichever
 * client ran it: one finished flow per call, its status, message counts each way, the sizes the
 * messages decode to, compressed flags, echoed metadata and recorded timeouts. The clients'
 * own assertions (what the interop descriptions ask a client to check) live with each client.
 */
import assert from 'node:assert/strict';
import { fromBase64, hasPair, type JsonRecord } from '../e2e/grpc-harness.js';
import type { RecordedCall, ServerKind } from './interop-harness.js';
import {
  COMPRESSED_STREAM_BYTES,
  ECHO_INITIAL_KEY,
  ECHO_INITIAL_VALUE,
  ECHO_TRAILING_KEY,
  ECHO_TRAILING_VALUE,
  LARGE_REQUEST_BYTES,
  LARGE_RESPONSE_BYTES,
  messageType,
  REQUEST_STREAM_BYTES,
  RESPONSE_STREAM_BYTES,
  SPECIAL_STATUS_MESSAGE,
  STATUS_MESSAGE,
  TEST_SERVICE,
  UNIMPLEMENTED_SERVICE,
} from './interop-messages.js';

export interface InteropCase {
  readonly name: string;
  readonly server: ServerKind;
  /** How many calls the case makes (tagged `#1` … `#calls`). */
  readonly calls: number;
  /** Calls that may end before reaching the wire (a 1 ms deadline): zero or one flow. */
  readonly mayNotReachTheWire?: readonly number[];
  /** Checks the records; `calls[i]` is call `i + 1`, null when it never reached the proxy. */
  checkRecords(calls: readonly (RecordedCall | null)[]): void;
}

interface ExpectedFlow {
  readonly service?: string;
  readonly method: string;
  /** The gRPC status, or null for a call that ended by a reset. */
  readonly status: number | null;
  readonly statusName?: string;
  readonly message?: string;
  readonly requestMessages: number;
  readonly responseMessages: number;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  12: 'UNIMPLEMENTED',
};

function present(call: RecordedCall | null | undefined): RecordedCall {
  assert.ok(call, 'the call was recorded');
  return call;
}

function expectFlow(call: RecordedCall, expected: ExpectedFlow): void {
  const service = expected.service ?? TEST_SERVICE;
  assert.equal(call.flow.service, service);
  assert.equal(call.flow.method, expected.method);
  assert.equal(call.start('send')?.path, `/${service}/${expected.method}`);
  assert.equal(call.end.status, expected.status, `status (end: ${JSON.stringify(call.end)})`);
  assert.equal(call.flow.status, expected.status);
  if (expected.status !== null) {
    assert.equal(call.end.statusName, STATUS_NAMES[expected.status]);
    assert.equal(call.end.error, null);
    assert.equal(call.flow.state, 'complete');
  }
  if (expected.message !== undefined) assert.equal(call.end.message, expected.message);
  assert.equal(call.flow.requestMessages, expected.requestMessages, 'request messages');
  assert.equal(call.flow.responseMessages, expected.responseMessages, 'response messages');
  assert.equal(call.data('send').length, expected.requestMessages);
  assert.equal(call.data('receive').length, expected.responseMessages);
}

/** The call ended because the client cancelled it: RST_STREAM CANCEL from the client's side. */
function expectClientCancel(call: RecordedCall): void {
  const error = call.end.error as { code?: string; side?: string } | null;
  assert.deepEqual([error?.code, error?.side], ['CANCEL', 'client']);
  assert.equal(call.flow.state, 'error');
}

function compressedFlags(call: RecordedCall, direction: 'send' | 'receive'): boolean[] {
  return call.data(direction).map((record) => record.compressed as boolean);
}

/** Each message of a direction decoded as `type`, from the record's (decompressed) payload. */
function decoded(call: RecordedCall, direction: 'send' | 'receive', type: string) {
  return call.data(direction).map((record) => {
    const message = messageType(type);
    return message.toObject(message.decode(fromBase64(record.payload)), { defaults: true });
  });
}

/** Sizes of `payload.body` of each message of a direction. */
function bodySizes(call: RecordedCall, direction: 'send' | 'receive', type: string): number[] {
  return decoded(call, direction, type).map(
    (message) => ((message.payload as { body?: Uint8Array } | null)?.body ?? []).length,
  );
}

/** A compressed message's record: flag set, wire bytes fewer than the inflated ones. */
function expectCompressedRecord(record: JsonRecord | undefined): void {
  assert.equal(record?.compressed, true);
  assert.ok(
    (record.wireLength as number) < (record.length as number),
    `compressed ${String(record.wireLength)} < inflated ${String(record.length)}`,
  );
}

const GRPC_TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** The call carried a `grpc-timeout` of at most `maxMs` and ended on its deadline. */
function expectDeadline(call: RecordedCall, maxMs: number): void {
  const timeout = call.start('send')?.timeout;
  const match = /^(\d{1,8})([HMSmun])$/.exec(String(timeout));
  assert.ok(match, `a grpc-timeout was recorded (${String(timeout)})`);
  const ms = Number(match[1]) * (GRPC_TIMEOUT_UNITS_MS[match[2] as string] as number);
  assert.ok(ms > 0 && ms <= maxMs, `grpc-timeout ${String(timeout)} is within ${maxMs} ms`);
  assert.equal(call.flow.method, 'FullDuplexCall');
  assert.equal(call.flow.responseMessages, 0);
  const error = call.end.error as { code?: string; side?: string } | null;
  // Whichever comes first: the server's DEADLINE_EXCEEDED or the client's RST_STREAM CANCEL.
  assert.ok(
    call.end.status === 4 || (error?.code === 'CANCEL' && error.side === 'client'),
    `ended on its deadline: ${JSON.stringify(call.end)}`,
  );
}

/** The deadline of the second timeout_on_sleeping_server call (ms). */
export const SLEEPING_SERVER_DEADLINE_MS = 1000;

const unary = { method: 'UnaryCall', requestMessages: 1, responseMessages: 1, status: 0 } as const;

export const INTEROP_CASES: readonly InteropCase[] = [
  {
    name: 'empty_unary',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, { ...unary, method: 'EmptyCall' });
      for (const direction of ['send', 'receive'] as const) {
        assert.deepEqual(
          c.data(direction).map((record) => [record.wireLength, record.length, record.compressed]),
          [[0, 0, false]],
          `a zero-byte ${direction} message`,
        );
      }
      assert.equal(c.flow.flowType, 'unary');
    },
  },
  {
    name: 'large_unary',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, unary);
      assert.deepEqual(bodySizes(c, 'send', 'SimpleRequest'), [LARGE_REQUEST_BYTES]);
      assert.equal(decoded(c, 'send', 'SimpleRequest')[0]?.response_size, LARGE_RESPONSE_BYTES);
      assert.deepEqual(bodySizes(c, 'receive', 'SimpleResponse'), [LARGE_RESPONSE_BYTES]);
      assert.deepEqual(
        [...compressedFlags(c, 'send'), ...compressedFlags(c, 'receive')],
        [false, false],
      );
    },
  },
  {
    name: 'client_streaming',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'StreamingInputCall',
        status: 0,
        requestMessages: 4,
        responseMessages: 1,
      });
      assert.deepEqual(bodySizes(c, 'send', 'StreamingInputCallRequest'), [
        ...REQUEST_STREAM_BYTES,
      ]);
      const [response] = decoded(c, 'receive', 'StreamingInputCallResponse');
      assert.equal(response?.aggregated_payload_size, 74_922);
      assert.equal(c.flow.flowType, 'stream');
    },
  },
  {
    name: 'server_streaming',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'StreamingOutputCall',
        status: 0,
        requestMessages: 1,
        responseMessages: 4,
      });
      assert.deepEqual(bodySizes(c, 'receive', 'StreamingOutputCallResponse'), [
        ...RESPONSE_STREAM_BYTES,
      ]);
      assert.equal(c.flow.flowType, 'stream');
    },
  },
  {
    name: 'ping_pong',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'FullDuplexCall',
        status: 0,
        requestMessages: 4,
        responseMessages: 4,
      });
      assert.deepEqual(bodySizes(c, 'send', 'StreamingOutputCallRequest'), [
        ...REQUEST_STREAM_BYTES,
      ]);
      assert.deepEqual(bodySizes(c, 'receive', 'StreamingOutputCallResponse'), [
        ...RESPONSE_STREAM_BYTES,
      ]);
      assert.deepEqual(
        c.records.filter((record) => record.event === 'data').map((record) => record.direction),
        ['send', 'receive', 'send', 'receive', 'send', 'receive', 'send', 'receive'],
        'each request recorded before its response',
      );
      assert.equal(c.flow.flowType, 'bidirectional');
    },
  },
  {
    name: 'empty_stream',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'FullDuplexCall',
        status: 0,
        requestMessages: 0,
        responseMessages: 0,
      });
    },
  },
  {
    name: 'status_code_and_message',
    server: 'grpc-js',
    calls: 2,
    checkRecords([first, second]) {
      const failed = { status: 2, message: STATUS_MESSAGE, requestMessages: 1 } as const;
      expectFlow(present(first), { ...failed, method: 'UnaryCall', responseMessages: 0 });
      expectFlow(present(second), { ...failed, method: 'FullDuplexCall', responseMessages: 0 });
    },
  },
  {
    name: 'special_status_message',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      expectFlow(present(call), {
        method: 'UnaryCall',
        status: 2,
        message: SPECIAL_STATUS_MESSAGE,
        requestMessages: 1,
        responseMessages: 0,
      });
    },
  },
  {
    name: 'unimplemented_method',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      expectFlow(present(call), {
        method: 'UnimplementedCall',
        status: 12,
        requestMessages: 1,
        responseMessages: 0,
      });
    },
  },
  {
    name: 'unimplemented_service',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      expectFlow(present(call), {
        service: UNIMPLEMENTED_SERVICE,
        method: 'UnimplementedCall',
        status: 12,
        requestMessages: 1,
        responseMessages: 0,
      });
    },
  },
  {
    name: 'custom_metadata',
    server: 'grpc-js',
    calls: 2,
    checkRecords(calls) {
      const trailingValue = ECHO_TRAILING_VALUE.toString('base64');
      for (const [index, method] of ['UnaryCall', 'FullDuplexCall'].entries()) {
        const c = present(calls[index]);
        expectFlow(c, { ...unary, method });
        const sent = c.start('send')?.metadata;
        assert.ok(hasPair(sent, ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE), 'initial metadata sent');
        assert.ok(hasPair(sent, ECHO_TRAILING_KEY, trailingValue), 'binary metadata sent');
        const echoed = c.start('receive')?.metadata;
        assert.ok(hasPair(echoed, ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE), 'initial echoed');
        assert.ok(hasPair(c.end.trailers, ECHO_TRAILING_KEY, trailingValue), 'trailer echoed');
        assert.deepEqual(
          bodySizes(
            c,
            'receive',
            `${method === 'UnaryCall' ? 'Simple' : 'StreamingOutputCall'}Response`,
          ),
          [LARGE_RESPONSE_BYTES],
        );
      }
    },
  },
  {
    name: 'timeout_on_sleeping_server',
    server: 'grpc-js',
    calls: 2,
    mayNotReachTheWire: [1],
    checkRecords([spec, reaching]) {
      if (spec) expectDeadline(spec, 1);
      const c = present(reaching);
      expectDeadline(c, SLEEPING_SERVER_DEADLINE_MS);
      assert.deepEqual(bodySizes(c, 'send', 'StreamingOutputCallRequest'), [27_182]);
    },
  },
  {
    name: 'cancel_after_begin',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'StreamingInputCall',
        status: null,
        requestMessages: 0,
        responseMessages: 0,
      });
      expectClientCancel(c);
    },
  },
  {
    name: 'cancel_after_first_response',
    server: 'grpc-js',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'FullDuplexCall',
        status: null,
        requestMessages: 1,
        responseMessages: 1,
      });
      assert.deepEqual(bodySizes(c, 'receive', 'StreamingOutputCallResponse'), [31_415]);
      expectClientCancel(c);
    },
  },
  {
    name: 'client_compressed_unary',
    server: 'wire',
    calls: 3,
    checkRecords([probe, compressed, uncompressed]) {
      const p = present(probe);
      expectFlow(p, { ...unary, status: 3, responseMessages: 0 });
      assert.deepEqual(compressedFlags(p, 'send'), [false]);
      const c = present(compressed);
      expectFlow(c, unary);
      assert.equal(c.start('send')?.encoding, 'gzip');
      expectCompressedRecord(c.data('send')[0]);
      assert.deepEqual(bodySizes(c, 'send', 'SimpleRequest'), [LARGE_REQUEST_BYTES]);
      assert.deepEqual(bodySizes(c, 'receive', 'SimpleResponse'), [LARGE_RESPONSE_BYTES]);
      const u = present(uncompressed);
      expectFlow(u, unary);
      assert.deepEqual(compressedFlags(u, 'send'), [false]);
    },
  },
  {
    name: 'server_compressed_unary',
    server: 'wire',
    calls: 2,
    checkRecords([compressed, uncompressed]) {
      const c = present(compressed);
      expectFlow(c, unary);
      assert.equal(c.start('receive')?.encoding, 'gzip');
      expectCompressedRecord(c.data('receive')[0]);
      assert.deepEqual(bodySizes(c, 'receive', 'SimpleResponse'), [LARGE_RESPONSE_BYTES]);
      const u = present(uncompressed);
      expectFlow(u, unary);
      assert.deepEqual(compressedFlags(u, 'receive'), [false]);
      assert.deepEqual(bodySizes(u, 'receive', 'SimpleResponse'), [LARGE_RESPONSE_BYTES]);
    },
  },
  {
    name: 'client_compressed_streaming',
    server: 'wire',
    calls: 2,
    checkRecords([probe, call]) {
      const p = present(probe);
      expectFlow(p, {
        method: 'StreamingInputCall',
        status: 3,
        requestMessages: 1,
        responseMessages: 0,
      });
      assert.deepEqual(compressedFlags(p, 'send'), [false]);
      const c = present(call);
      expectFlow(c, {
        method: 'StreamingInputCall',
        status: 0,
        requestMessages: 2,
        responseMessages: 1,
      });
      assert.deepEqual(compressedFlags(c, 'send'), [true, false]);
      expectCompressedRecord(c.data('send')[0]);
      assert.deepEqual(bodySizes(c, 'send', 'StreamingInputCallRequest'), [27_182, 45_904]);
      const [response] = decoded(c, 'receive', 'StreamingInputCallResponse');
      assert.equal(response?.aggregated_payload_size, 73_086);
    },
  },
  {
    name: 'server_compressed_streaming',
    server: 'wire',
    calls: 1,
    checkRecords([call]) {
      const c = present(call);
      expectFlow(c, {
        method: 'StreamingOutputCall',
        status: 0,
        requestMessages: 1,
        responseMessages: 2,
      });
      assert.equal(c.start('receive')?.encoding, 'gzip');
      assert.deepEqual(compressedFlags(c, 'receive'), [true, false]);
      expectCompressedRecord(c.data('receive')[0]);
      assert.deepEqual(bodySizes(c, 'receive', 'StreamingOutputCallResponse'), [
        ...COMPRESSED_STREAM_BYTES,
      ]);
    },
  },
];
