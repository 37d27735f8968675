import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { GrpcEnvelope } from '../../src/grpc/grpc-envelope.js';
import { createGrpcStream } from '../../src/grpc/grpc-stream.js';
import type { ChannelEvent } from '../../src/http2/channel-event.js';
import {
  assertSameInEveryChunking,
  bytes,
  concat,
  data,
  end,
  frame,
  REQUEST_HEADERS,
  requestHeaders,
  reset,
  responseHeaders,
  runTranscript,
  STREAM_ID,
  T0,
  trailers,
} from './grpc-transcript.js';

/** The `end` and `flow` envelopes of a stream error found on `direction`. */
function errorTail(
  sequence: number,
  direction: 'send' | 'receive',
  code: string,
  reason: string,
  time: number,
  counts: [number, number] = [0, 0],
): GrpcEnvelope[] {
  return [
    {
      kind: 'end',
      flowId: STREAM_ID,
      time,
      sequence,
      direction,
      status: null,
      statusName: null,
      message: '',
      statusDetails: null,
      trailers: [],
      synthetic: false,
      raw: null,
      error: { code, reason, side: direction === 'send' ? 'client' : 'upstream' },
    },
    {
      kind: 'flow',
      flowId: STREAM_ID,
      time,
      flowType: 'unary',
      state: 'error',
      service: 'helloworld.Greeter',
      method: 'SayHello',
      status: null,
      requestMessages: counts[0],
      responseMessages: counts[1],
      durationMs: time - T0,
    },
  ];
}

function prefix(flags: number, length: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

const LATER: readonly ChannelEvent[] = [
  data('send', frame('late')),
  responseHeaders(),
  trailers(),
  reset('send', 'CANCEL', 'client'),
];

describe('createGrpcStream: stream errors', () => {
  it('fails a declared length over the limit as soon as the prefix is read', () => {
    const events = [requestHeaders(), data('send', prefix(0, 0xffff_ffff), T0 + 3)];
    const outcome = assertSameInEveryChunking(events, 64);
    const reason = 'declared message length 4294967295 exceeds the limit of 64 bytes';
    assert.deepEqual(
      outcome.envelopes.slice(1),
      errorTail(1, 'send', 'MESSAGE_TOO_LARGE', reason, T0 + 3),
    );
    assert.deepEqual(outcome.resets, [{ code: 'MESSAGE_TOO_LARGE', reason, http2Code: 2 }]);
    assert.equal(outcome.finished, true);
  });

  it('accepts a declared length of exactly the limit', () => {
    const outcome = runTranscript([requestHeaders(), data('send', frame(new Uint8Array(64)))], 64);
    assert.deepEqual(outcome.resets, []);
    assert.equal(outcome.envelopes[1]?.kind, 'data');
  });

  it('reports the messages before a bad prefix in the same chunk first', () => {
    const events = [
      requestHeaders(),
      data('send', concat(frame('ok'), prefix(0, 65), bytes('tail')), T0 + 2),
    ];
    const outcome = assertSameInEveryChunking(events, 64);
    assert.deepEqual(
      outcome.envelopes.map((e) => e.kind),
      ['start', 'data', 'end', 'flow'],
    );
    const reason = 'declared message length 65 exceeds the limit of 64 bytes';
    assert.deepEqual(
      outcome.envelopes.slice(2),
      errorTail(2, 'send', 'MESSAGE_TOO_LARGE', reason, T0 + 2, [1, 0]),
    );
  });

  it('fails reserved flag bits on the response side', () => {
    const events = [
      requestHeaders(),
      end('send'),
      responseHeaders(),
      data('receive', concat(prefix(0x02, 1), bytes('x')), T0 + 4),
    ];
    const outcome = assertSameInEveryChunking(events);
    const reason = 'message flags 0x02 set reserved bits';
    assert.deepEqual(
      outcome.envelopes.slice(2),
      errorTail(2, 'receive', 'UNKNOWN_FLAGS', reason, T0 + 4),
    );
    assert.deepEqual(outcome.resets, [{ code: 'UNKNOWN_FLAGS', reason, http2Code: 2 }]);
  });

  it('fails a request that ends inside a message', () => {
    const message = frame('incomplete');
    const events = [requestHeaders(), data('send', message.subarray(0, 8)), end('send', T0 + 2)];
    const outcome = assertSameInEveryChunking(events);
    const reason = 'request ended inside a message';
    assert.deepEqual(
      outcome.envelopes.slice(1),
      errorTail(1, 'send', 'TRUNCATED_MESSAGE', reason, T0 + 2),
    );
    assert.equal(outcome.resets[0]?.code, 'TRUNCATED_MESSAGE');
  });

  it('fails a request that ends inside a message prefix', () => {
    const outcome = runTranscript([requestHeaders(), data('send', bytes('\x00\x00')), end('send')]);
    assert.equal(outcome.resets[0]?.code, 'TRUNCATED_MESSAGE');
  });

  it('fails a response whose trailers arrive inside a message', () => {
    const events = [
      requestHeaders(),
      end('send'),
      responseHeaders(),
      data('receive', frame('incomplete').subarray(0, 9)),
      trailers(undefined, T0 + 6),
    ];
    const outcome = assertSameInEveryChunking(events);
    const reason = 'response ended inside a message';
    assert.deepEqual(
      outcome.envelopes.slice(2),
      errorTail(2, 'receive', 'TRUNCATED_MESSAGE', reason, T0 + 6),
    );
  });

  it('fails a gzip bomb once its output passes the limit', () => {
    const bomb = gzipSync(new Uint8Array(1 << 20));
    assert.ok(bomb.length < 2048);
    const events = [
      requestHeaders([...REQUEST_HEADERS, ['grpc-encoding', 'gzip']]),
      data('send', frame(bomb, 1), T0 + 1),
    ];
    const outcome = runTranscript(events, 64 * 1024);
    const reason = 'decompressed message exceeds the limit of 65536 bytes';
    assert.deepEqual(
      outcome.envelopes.slice(1),
      errorTail(1, 'send', 'MESSAGE_TOO_LARGE', reason, T0 + 1),
    );
    assert.deepEqual(outcome.resets, [{ code: 'MESSAGE_TOO_LARGE', reason, http2Code: 2 }]);
  });

  it('ignores every event after a stream error', () => {
    const stream = createGrpcStream({ maxMessageSize: 8 });
    stream.push(requestHeaders());
    assert.equal(stream.push(data('send', prefix(0, 9))).envelopes.length, 2);
    for (const event of LATER) {
      assert.deepEqual(stream.push(event), { envelopes: [], warnings: [], reset: null });
    }
    assert.equal(stream.finished, true);
  });
});

describe('createGrpcStream: resets', () => {
  it('ends the flow with the reset’s code, reason and side', () => {
    const outcome = runTranscript([
      requestHeaders(),
      data('send', frame('q')),
      reset('send', 'CANCEL', 'client', T0 + 7),
    ]);
    assert.deepEqual(outcome.envelopes.slice(2), [
      {
        kind: 'end',
        flowId: STREAM_ID,
        time: T0 + 7,
        sequence: 2,
        direction: 'send',
        status: null,
        statusName: null,
        message: '',
        statusDetails: null,
        trailers: [],
        synthetic: false,
        raw: null,
        error: { code: 'CANCEL', reason: 'CANCEL from client', side: 'client' },
      },
      {
        kind: 'flow',
        flowId: STREAM_ID,
        time: T0 + 7,
        flowType: 'unary',
        state: 'error',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        status: null,
        requestMessages: 1,
        responseMessages: 0,
        durationMs: 7,
      },
    ]);
    assert.deepEqual(outcome.resets, [], 'the edge already knows about a reset it reported');
  });

  it('records a failure reported by the proxy on the receive side', () => {
    const outcome = runTranscript([
      requestHeaders(),
      reset('receive', 'UPSTREAM_UNREACHABLE', 'proxy', T0 + 1, null),
    ]);
    const endEnvelope = outcome.envelopes[1];
    assert.equal(endEnvelope?.kind, 'end');
    if (endEnvelope?.kind !== 'end') return;
    assert.equal(endEnvelope.direction, 'receive');
    assert.deepEqual(endEnvelope.error, {
      code: 'UPSTREAM_UNREACHABLE',
      reason: 'UPSTREAM_UNREACHABLE from proxy',
      side: 'proxy',
    });
  });

  it('ignores a reset after the call has ended', () => {
    const outcome = runTranscript([
      requestHeaders(),
      end('send'),
      responseHeaders(),
      trailers(),
      reset('receive', 'NO_ERROR', 'upstream'),
    ]);
    assert.deepEqual(outcome.perEvent, [1, 0, 1, 2, 0]);
  });
});
