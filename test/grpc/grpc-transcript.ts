/**
 * Transcript helpers for the gRPC layer: build channel events, push them through a GrpcStream and
 * collect what comes out, and re-run a transcript with its data events cut in every way.
 */
import assert from 'node:assert/strict';
import type { GrpcEnvelope } from '../../src/grpc/grpc-envelope.js';
import { createGrpcStream, type ResetRequest } from '../../src/grpc/grpc-stream.js';
import type {
  ChannelEvent,
  DataReceived,
  Direction,
  EndReceived,
  HeaderList,
  HeadersReceived,
  InformationalReceived,
  Side,
  StreamReset,
  TrailersReceived,
} from '../../src/http2/channel-event.js';
import { toGrpcRecord } from '../../src/output/grpc-record.js';
import { assertValidRecord } from '../helpers/record-schema.js';

export const STREAM_ID = 'c0ffee00-0001';
/** Time of the first event of every transcript, in ms since the epoch. */
export const T0 = Date.UTC(2024, 4, 1, 12, 4, 5, 100);
export const MAX = 1024;

const encoder = new TextEncoder();

export function bytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A Length-Prefixed-Message. */
export function frame(payload: string | Uint8Array, flags = 0): Uint8Array {
  const body = bytes(payload);
  const out = new Uint8Array(5 + body.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

export const REQUEST_HEADERS: HeaderList = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':path', '/helloworld.Greeter/SayHello'],
  [':authority', 'localhost:50051'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
];

export const RESPONSE_HEADERS: HeaderList = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];

export const OK_TRAILERS: HeaderList = [
  ['grpc-status', '0'],
  ['grpc-message', ''],
];

export function requestHeaders(
  headers: HeaderList = REQUEST_HEADERS,
  time = T0,
  endStream = false,
): HeadersReceived {
  return {
    kind: 'headersReceived',
    streamId: STREAM_ID,
    direction: 'send',
    time,
    headers,
    endStream,
  };
}

export function responseHeaders(
  headers: HeaderList = RESPONSE_HEADERS,
  time = T0 + 2,
  endStream = false,
): HeadersReceived {
  return {
    kind: 'headersReceived',
    streamId: STREAM_ID,
    direction: 'receive',
    time,
    headers,
    endStream,
  };
}

export function informational(headers: HeaderList, time = T0 + 1): InformationalReceived {
  return {
    kind: 'informationalReceived',
    streamId: STREAM_ID,
    direction: 'receive',
    time,
    headers,
  };
}

export function data(direction: Direction, payload: Uint8Array, time = T0 + 1): DataReceived {
  return { kind: 'dataReceived', streamId: STREAM_ID, direction, time, data: payload };
}

export function trailers(headers: HeaderList = OK_TRAILERS, time = T0 + 5): TrailersReceived {
  return { kind: 'trailersReceived', streamId: STREAM_ID, direction: 'receive', time, headers };
}

export function end(direction: Direction, time = T0 + 1): EndReceived {
  return { kind: 'endReceived', streamId: STREAM_ID, direction, time };
}

export function reset(
  direction: Direction,
  code: string,
  side: Side,
  time = T0 + 4,
  http2Code: number | null = 8,
): StreamReset {
  return {
    kind: 'streamReset',
    streamId: STREAM_ID,
    direction,
    time,
    code,
    http2Code,
    reason: `${code} from ${side}`,
    side,
  };
}

export interface TranscriptOutcome {
  readonly envelopes: readonly GrpcEnvelope[];
  readonly warnings: readonly string[];
  readonly resets: readonly ResetRequest[];
  /** Number of envelopes produced after each event, in order. */
  readonly perEvent: readonly number[];
  readonly finished: boolean;
}

/**
 * Pushes every event through a fresh stream. Every envelope is also turned into a record and
 * checked against the published schema, so no test can produce an invalid record unnoticed.
 */
export function runTranscript(
  events: readonly ChannelEvent[],
  maxMessageSize = MAX,
): TranscriptOutcome {
  const stream = createGrpcStream({ maxMessageSize });
  const envelopes: GrpcEnvelope[] = [];
  const warnings: string[] = [];
  const resets: ResetRequest[] = [];
  const perEvent: number[] = [];
  for (const event of events) {
    const step = stream.push(event);
    envelopes.push(...step.envelopes);
    warnings.push(...step.warnings);
    if (step.reset !== null) resets.push(step.reset);
    perEvent.push(step.envelopes.length);
  }
  for (const envelope of envelopes) assertValidRecord(toGrpcRecord(envelope));
  return { envelopes, warnings, resets, perEvent, finished: stream.finished };
}

/** Copies of `event` carrying consecutive pieces of its bytes, cut at `points` (ascending). */
function cutAt(event: DataReceived, points: readonly number[]): DataReceived[] {
  const pieces: DataReceived[] = [];
  let from = 0;
  for (const point of [...points, event.data.length]) {
    pieces.push({ ...event, data: event.data.slice(from, point) });
    from = point;
  }
  return pieces;
}

function cutEvery(length: number, size: number): number[] {
  const points: number[] = [];
  for (let point = size; point < length; point += size) points.push(point);
  return points;
}

/**
 * Variants of `events` with data events cut: each single cut point of each data event, every data
 * event in 1-byte, 2-byte, 3-byte and 7-byte pieces, and every data event cut into an empty
 * chunk plus the rest. Pieces keep the time of the event they come from.
 */
export function* chunkings(
  events: readonly ChannelEvent[],
): Generator<{ label: string; events: ChannelEvent[] }> {
  for (const [index, event] of events.entries()) {
    if (event.kind !== 'dataReceived') continue;
    for (let point = 1; point < event.data.length; point++) {
      yield {
        label: `event ${index} cut at ${point}`,
        events: events.flatMap((other): ChannelEvent[] =>
          other === event ? cutAt(event, [point]) : [other],
        ),
      };
    }
  }
  for (const size of [1, 2, 3, 7]) {
    yield {
      label: `${size}-byte chunks`,
      events: events.flatMap((event): ChannelEvent[] =>
        event.kind === 'dataReceived' ? cutAt(event, cutEvery(event.data.length, size)) : [event],
      ),
    };
  }
  yield {
    label: 'empty chunk before every data event',
    events: events.flatMap((event): ChannelEvent[] =>
      event.kind === 'dataReceived' ? cutAt(event, [0]) : [event],
    ),
  };
}

/**
 * Runs `events` whole and in every chunking of `chunkings`, asserting identical envelopes,
 * warnings and resets; returns the outcome of the whole run.
 */
export function assertSameInEveryChunking(
  events: readonly ChannelEvent[],
  maxMessageSize = MAX,
): TranscriptOutcome {
  const whole = runTranscript(events, maxMessageSize);
  for (const variant of chunkings(events)) {
    const cut = runTranscript(variant.events, maxMessageSize);
    assert.deepEqual(cut.envelopes, whole.envelopes, variant.label);
    assert.deepEqual(cut.warnings, whole.warnings, variant.label);
    assert.deepEqual(cut.resets, whole.resets, variant.label);
  }
  return whole;
}
