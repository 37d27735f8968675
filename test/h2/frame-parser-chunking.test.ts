/**
 * The frame parser is indifferent to how the byte stream is cut: any split of a valid stream
 * (preface, SETTINGS, then frames of every type, padded or not, unknown types, CONTINUATION)
 * gives the same frames, byte for byte, as pushing it whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createFrameParser } from '../../src/h2/create-frame-parser.js';
import {
  encodeGoawayFrame,
  encodePingFrame,
  encodeRstStreamFrame,
  encodeSettingsAckFrame,
  encodeSettingsFrame,
  encodeWindowUpdateFrame,
} from '../../src/h2/encode-frame.js';
import { CONNECTION_PREFACE, FrameFlag, FrameType } from '../../src/h2/frame-constants.js';
import { encodeFrame } from '../helpers/raw-h2.js';

interface SeenFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly offset: number;
  readonly bytes: string;
}

function padded(payload: Uint8Array, padLength: number): Buffer {
  return Buffer.concat([Buffer.from([padLength]), payload, Buffer.alloc(padLength)]);
}

const streamId = fc.integer({ min: 1, max: 0x7fffffff });
const payload = fc.uint8Array({ maxLength: 300 });
const frameArbitrary: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(streamId, payload, fc.option(fc.integer({ min: 0, max: 40 })), fc.boolean())
    .map(([id, data, pad, end]) =>
      pad === null
        ? encodeFrame(FrameType.DATA, end ? FrameFlag.END_STREAM : 0, id, data)
        : encodeFrame(FrameType.DATA, FrameFlag.PADDED | (end ? 1 : 0), id, padded(data, pad)),
    ),
  fc
    .tuple(streamId, payload, payload)
    .map(([id, first, rest]) =>
      Buffer.concat([
        encodeFrame(FrameType.HEADERS, 0, id, first),
        encodeFrame(FrameType.CONTINUATION, FrameFlag.END_HEADERS, id, rest),
      ]),
    ),
  fc
    .tuple(streamId, payload, fc.integer({ min: 0, max: 20 }))
    .map(([id, block, pad]) =>
      encodeFrame(
        FrameType.HEADERS,
        FrameFlag.END_HEADERS | FrameFlag.PADDED | FrameFlag.PRIORITY,
        id,
        padded(Buffer.concat([Buffer.from([0, 0, 0, 0, 15]), block]), pad),
      ),
    ),
  fc
    .tuple(streamId, fc.integer({ min: 0, max: 0xffffffff }))
    .map(([id, code]) => encodeRstStreamFrame(id, code)),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 0x7fffffff }))
    .map(([id, increment]) => encodeWindowUpdateFrame(id, increment)),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((data) => encodePingFrame(data, false)),
  fc.constant(encodeSettingsAckFrame()),
  fc.constant(
    encodeSettingsFrame([
      { id: 0x4, value: 1 << 20 },
      { id: 0xabcd, value: 7 },
    ]),
  ),
  fc.uint8Array({ maxLength: 40 }).map((debug) => encodeGoawayFrame(5, 0, debug)),
  fc
    .tuple(
      fc.integer({ min: 0x0a, max: 0xff }),
      fc.integer({ min: 0, max: 0xff }),
      streamId,
      payload,
    )
    .map(([type, flags, id, data]) => encodeFrame(type, flags, id, data)),
);

function parseInChunks(stream: Buffer, cuts: readonly number[]): SeenFrame[] {
  const parser = createFrameParser({ sender: 'client' });
  const seen: SeenFrame[] = [];
  let start = 0;
  for (const cut of [...cuts, stream.length]) {
    const { frames, error } = parser.push(stream.subarray(start, cut));
    assert.equal(error, null, error?.reason);
    for (const frame of frames) {
      seen.push({
        type: frame.type,
        flags: frame.flags,
        streamId: frame.streamId,
        offset: frame.offset,
        bytes: Buffer.from(frame.bytes).toString('hex'),
      });
    }
    start = cut;
  }
  assert.equal(parser.end(), null);
  assert.equal(parser.consumed, stream.length);
  return seen;
}

function connectionOf(frames: readonly Buffer[]): Buffer {
  return Buffer.concat([CONNECTION_PREFACE, encodeSettingsFrame([]), ...frames]);
}

describe('createFrameParser: every chunking', () => {
  test('gives the same frames for any split of a valid byte stream', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, rawCuts) => {
          const stream = connectionOf(frames);
          const cuts = [...new Set(rawCuts.map((cut) => cut % (stream.length + 1)))].sort(
            (a, b) => a - b,
          );
          const whole = parseInChunks(stream, []);
          assert.deepEqual(parseInChunks(stream, cuts), whole);
          assert.equal(whole.length, 1 + frames.length + countContinuations(frames));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('gives the same frames for every single cut and one byte at a time', () => {
    const stream = connectionOf([
      encodeFrame(FrameType.HEADERS, FrameFlag.PADDED, 1, padded(Buffer.from([0x82]), 3)),
      encodeFrame(FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1, Buffer.from([0x84])),
      encodeFrame(FrameType.DATA, FrameFlag.END_STREAM, 1, Buffer.from('hello')),
      encodeFrame(0x42, 0xff, 3, Buffer.from('unknown')),
      encodeFrame(FrameType.DATA, 0, 3),
      encodePingFrame(Buffer.alloc(8, 1), true),
    ]);
    const whole = parseInChunks(stream, []);
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(parseInChunks(stream, [cut]), whole, `cut at ${cut}`);
    }
    const everyByte = Array.from({ length: stream.length }, (_, i) => i);
    assert.deepEqual(parseInChunks(stream, everyByte), whole);
  });
});

/** Each HEADERS-without-END_HEADERS case above is two frames in one buffer. */
function countContinuations(frames: readonly Buffer[]): number {
  return frames.filter(
    (frame) => frame[3] === FrameType.HEADERS && ((frame[4] as number) & 4) === 0,
  ).length;
}
