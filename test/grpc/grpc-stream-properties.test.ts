import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { GrpcData } from '../../src/grpc/grpc-envelope.js';
import type { ChannelEvent, DataReceived, Direction } from '../../src/http2/channel-event.js';
import {
  concat,
  data,
  end,
  frame,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  requestHeaders,
  responseHeaders,
  runTranscript,
  T0,
  trailers,
} from './grpc-transcript.js';

interface Message {
  readonly payload: Uint8Array;
  readonly compress: boolean;
}

const messageArb: fc.Arbitrary<Message> = fc.record({
  payload: fc.uint8Array({ maxLength: 48 }),
  compress: fc.boolean(),
});

function encode(messages: readonly Message[]): Uint8Array {
  return concat(
    ...messages.map((m) => (m.compress ? frame(gzipSync(m.payload), 1) : frame(m.payload))),
  );
}

/** `stream` cut at `points` (any values; clamped, sorted, deduplicated), as data events. */
function cut(direction: Direction, stream: Uint8Array, points: readonly number[]): DataReceived[] {
  const sorted = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: DataReceived[] = [];
  let from = 0;
  for (const point of [...sorted, stream.length]) {
    pieces.push(data(direction, stream.slice(from, point), T0 + 1));
    from = point;
  }
  return pieces;
}

function payloadsOf(events: readonly ChannelEvent[], direction: Direction): Uint8Array[] {
  return runTranscript(events)
    .envelopes.filter((e): e is GrpcData => e.kind === 'data' && e.direction === direction)
    .map((e) => e.payload ?? new Uint8Array([0xde, 0xad]));
}

const GZIP_REQUEST = [...REQUEST_HEADERS, ['grpc-encoding', 'gzip']] as const;
const GZIP_RESPONSE = [...RESPONSE_HEADERS, ['grpc-encoding', 'gzip']] as const;

describe('createGrpcStream: properties', () => {
  it('decodes the same messages in every random chunking of a valid stream', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 8 }),
        fc.array(fc.nat()),
        (messages, points) => {
          const stream = encode(messages);
          const whole = runTranscript([
            requestHeaders(GZIP_REQUEST),
            data('send', stream),
            end('send'),
          ]);
          const chunked = runTranscript([
            requestHeaders(GZIP_REQUEST),
            ...cut('send', stream, points),
            end('send'),
          ]);
          assert.deepEqual(chunked.envelopes, whole.envelopes);
          const decoded = whole.envelopes.filter((e): e is GrpcData => e.kind === 'data');
          assert.deepEqual(
            decoded.map((e) => [e.compressed, e.payload]),
            messages.map((m) => [m.compress, m.payload]),
          );
          assert.deepEqual(whole.resets, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps each direction’s messages apart however their chunks interleave', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 5 }),
        fc.array(messageArb, { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (requests, responses, sendPoints, receivePoints, order) => {
          const sendChunks = cut('send', encode(requests), sendPoints);
          const receiveChunks = cut('receive', encode(responses), receivePoints);
          const events: ChannelEvent[] = [
            requestHeaders(GZIP_REQUEST),
            responseHeaders(GZIP_RESPONSE),
          ];
          let turn = 0;
          while (sendChunks.length > 0 || receiveChunks.length > 0) {
            const pickSend = receiveChunks.length === 0 || (sendChunks.length > 0 && order[turn++]);
            const next = pickSend ? sendChunks.shift() : receiveChunks.shift();
            if (next !== undefined) events.push(next);
          }
          events.push(end('send'), trailers());
          assert.deepEqual(
            payloadsOf(events, 'send'),
            requests.map((m) => m.payload),
          );
          assert.deepEqual(
            payloadsOf(events, 'receive'),
            responses.map((m) => m.payload),
          );
          const sequences = runTranscript(events).envelopes.flatMap((e) =>
            e.kind === 'flow' ? [] : [e.sequence],
          );
          assert.deepEqual(
            sequences,
            sequences.map((_, i) => i),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
