/**
 * The frames the proxy emits itself: exact bytes (RFC 9113 §4.1 layout), header blocks and data
 * split at the receiver's frame size, and what the parser reads back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFrameParser } from '../../src/h2/create-frame-parser.js';
import { decodeHeaders } from '../../src/h2/decode-frame.js';
import {
  encodeDataFrames,
  encodeGoawayFrame,
  encodeHeadersFrames,
  encodePingFrame,
  encodeRstStreamFrame,
  encodeSettingsAckFrame,
  encodeSettingsFrame,
  encodeWindowUpdateFrame,
} from '../../src/h2/encode-frame.js';
import { FrameFlag, FrameType } from '../../src/h2/frame-constants.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const readBack = (bytes: Uint8Array, maxFrameSize = 16_384) => {
  const parser = createFrameParser({ sender: 'server', preface: false, maxFrameSize });
  const { frames, error } = parser.push(bytes);
  assert.equal(error, null, error?.reason);
  return frames;
};

describe('frame encoders', () => {
  test('writes control frames byte for byte', () => {
    assert.equal(hex(encodeRstStreamFrame(1, 8)), '000004030000000001' + '00000008');
    assert.equal(hex(encodeGoawayFrame(7, 1, 'x')), '000009070000000000' + '000000070000000178');
    assert.equal(hex(encodeWindowUpdateFrame(0, 0x7fffffff)), '000004080000000000' + '7fffffff');
    assert.equal(
      hex(encodeSettingsFrame([{ id: 4, value: 65_535 }])),
      '000006040000000000' + '00040000ffff',
    );
    assert.equal(hex(encodeSettingsAckFrame()), '000000040100000000');
    assert.equal(
      hex(encodePingFrame(Buffer.from('12345678'), true)),
      '000008060100000000' + Buffer.from('12345678').toString('hex'),
    );
  });

  test('refuses arguments out of range, which would be our bug', () => {
    assert.throws(() => encodeWindowUpdateFrame(1, 0), RangeError);
    assert.throws(() => encodePingFrame(Buffer.alloc(7), false), RangeError);
    assert.throws(() => encodeRstStreamFrame(2 ** 31, 0), RangeError);
    assert.throws(() => encodeDataFrames(1, Buffer.alloc(1), { maxFrameSize: 100 }), RangeError);
  });

  test('splits a header block into HEADERS and CONTINUATION at the frame size', () => {
    const block = Buffer.alloc(40_000, 1);
    const frames = readBack(encodeHeadersFrames(5, block, { endStream: true }));
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags, f.length]),
      [
        [FrameType.HEADERS, FrameFlag.END_STREAM, 16_384],
        [FrameType.CONTINUATION, 0, 16_384],
        [FrameType.CONTINUATION, FrameFlag.END_HEADERS, 7232],
      ],
    );
    assert.deepEqual(Buffer.concat(frames.map((f) => f.payload)), block);
  });

  test('keeps one HEADERS frame when the block fits, and carries priority fields', () => {
    const block = Buffer.alloc(16_384 - 5, 2);
    const frames = readBack(
      encodeHeadersFrames(3, block, {
        priority: { exclusive: true, streamDependency: 1, weight: 256 },
      }),
    );
    assert.equal(frames.length, 1);
    const fields = decodeHeaders(frames[0] as (typeof frames)[0]);
    assert.deepEqual(fields.priority, { exclusive: true, streamDependency: 1, weight: 256 });
    assert.deepEqual(Buffer.from(fields.fragment), block);
    assert.equal(fields.endHeaders, true);
  });

  test('splits data at the frame size, END_STREAM on the last frame only', () => {
    const data = Buffer.alloc(50_000, 3);
    const frames = readBack(
      encodeDataFrames(1, data, { endStream: true, maxFrameSize: 20_000 }),
      20_000,
    ).map((f) => [f.flags, f.length]);
    assert.deepEqual(frames, [
      [0, 20_000],
      [0, 20_000],
      [FrameFlag.END_STREAM, 10_000],
    ]);
    assert.deepEqual(
      readBack(encodeDataFrames(1, Buffer.alloc(0), { endStream: true })).map((f) => [
        f.flags,
        f.length,
      ]),
      [[FrameFlag.END_STREAM, 0]],
    );
  });
});
