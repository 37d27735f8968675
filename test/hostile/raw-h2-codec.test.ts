/**
 * The raw HTTP/2 frame writer and reader the hostile tests rely on: exact bytes for known frames
 * (RFC 9113 §4.1 layout, RFC 7541 integer examples), and the reader giving the same frames for
 * every way of cutting the byte stream into chunks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createFrameReader,
  encodeData,
  encodeGoaway,
  encodeHeaderBlock,
  encodeHeaderFrames,
  encodeIndexedField,
  encodeIndexingLiteral,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  type Frame,
  FrameFlag,
  FrameType,
  parseGoaway,
  parseRstStream,
} from '../helpers/raw-h2.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('raw HTTP/2 frames', () => {
  test('writes the 9-byte frame header: length, type, flags, stream id', () => {
    assert.equal(hex(encodeData(3, Buffer.from('hi'), true)), '000002000100000003' + '6869');
    assert.equal(hex(encodeRstStream(1, 8)), '000004030000000001' + '00000008');
    assert.equal(hex(encodeWindowUpdate(0, 0x7fffffff)), '000004080000000000' + '7fffffff');
    assert.equal(hex(encodeSettings([[4, 65_535]])), '000006040000000000' + '00040000ffff');
    assert.equal(hex(encodeGoaway(7, 1)), '000008070000000000' + '0000000700000001');
  });

  test('encodes HPACK literals without indexing, lengths as RFC 7541 §5.1 integers', () => {
    // 0x00, name length 1 "a", value length 1 "b" (RFC 7541 §6.2.2, no Huffman).
    assert.equal(hex(encodeHeaderBlock([['a', 'b']])), '00016101' + '62');
    // A 127-byte value needs the 7-bit prefix plus one continuation byte: 0x7f 0x00.
    const long = encodeHeaderBlock([['x', 'v'.repeat(127)]]);
    assert.equal(hex(long.subarray(0, 5)), '0001787f00');
    // 1337 with a 7-bit prefix (the algorithm of C.1.2, which uses 5 bits): 1337 - 127 = 1210
    // = 58 + 9 x 128, so 7f, then 58 with the continuation bit (ba), then 09.
    assert.equal(hex(encodeHeaderBlock([['x', 'v'.repeat(1337)]]).subarray(3, 6)), '7fba09');
    assert.equal(hex(encodeIndexedField(62)), 'be');
    assert.equal(hex(encodeIndexingLiteral('a', 'b')), '4001610162');
  });

  test('splits a large header block into HEADERS and CONTINUATION frames', () => {
    const block = Buffer.alloc(40_000, 1);
    const frames = createFrameReader().push(encodeHeaderFrames(5, block, { endStream: true }));
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags, f.payload.length]),
      [
        [FrameType.HEADERS, FrameFlag.END_STREAM, 16_384],
        [FrameType.CONTINUATION, 0, 16_384],
        [FrameType.CONTINUATION, FrameFlag.END_HEADERS, 7232],
      ],
    );
  });

  test('reads the same frames from every two-way and three-way split of the stream', () => {
    const stream = Buffer.concat([
      encodeGoaway(9, 11),
      encodeData(1, Buffer.from('payload'), false),
      encodeRstStream(1, 2),
    ]);
    const summary = (frames: Frame[]) =>
      frames.map((f) => [f.type, f.flags, f.streamId, hex(f.payload)]);
    const expected = summary(createFrameReader().push(stream));
    assert.equal(expected.length, 3);
    for (let first = 0; first <= stream.length; first++) {
      for (let second = first; second <= stream.length; second++) {
        const reader = createFrameReader();
        const frames = [
          ...reader.push(stream.subarray(0, first)),
          ...reader.push(stream.subarray(first, second)),
          ...reader.push(stream.subarray(second)),
        ];
        assert.deepEqual(summary(frames), expected, `split at ${first}, ${second}`);
      }
    }
    const [goaway, , reset] = createFrameReader().push(stream) as [Frame, Frame, Frame];
    assert.deepEqual(parseGoaway(goaway), { lastStreamId: 9, errorCode: 11, debug: '' });
    assert.equal(parseRstStream(reset), 2);
  });
});
