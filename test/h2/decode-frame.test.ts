/**
 * The payload decoders on frames from the parser: padding and priority fields stripped, fields
 * read big-endian, reserved bits dropped, byte fields as views.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFrameParser } from '../../src/h2/create-frame-parser.js';
import {
  decodeContinuation,
  decodeData,
  decodeGoaway,
  decodeHeaders,
  decodePing,
  decodePriority,
  decodePushPromise,
  decodeRstStream,
  decodeSettings,
  decodeWindowUpdate,
} from '../../src/h2/decode-frame.js';
import type { Frame } from '../../src/h2/frame.js';
import { FrameFlag, FrameType } from '../../src/h2/frame-constants.js';
import { encodeFrame } from '../helpers/raw-h2.js';

function parse(type: number, flags: number, streamId: number, payload: number[]): Frame {
  const parser = createFrameParser({ sender: 'server', preface: false });
  const { frames, error } = parser.push(encodeFrame(type, flags, streamId, Buffer.from(payload)));
  assert.equal(error, null, error?.reason);
  return frames[0] as Frame;
}

const bytes = (view: Uint8Array): number[] => [...view];

describe('decode helpers', () => {
  test('DATA without padding is the payload itself', () => {
    const frame = parse(FrameType.DATA, FrameFlag.END_STREAM, 1, [1, 2, 3]);
    const data = decodeData(frame);
    assert.equal(data.data, frame.payload);
    assert.deepEqual([data.padLength, data.endStream], [0, true]);
  });

  test('DATA with padding drops the Pad Length byte and the padding', () => {
    const data = decodeData(parse(FrameType.DATA, FrameFlag.PADDED, 1, [2, 9, 8, 0, 0]));
    assert.deepEqual([bytes(data.data), data.padLength, data.endStream], [[9, 8], 2, false]);
    const empty = decodeData(parse(FrameType.DATA, FrameFlag.PADDED, 1, [2, 0, 0]));
    assert.deepEqual(bytes(empty.data), []);
  });

  test('HEADERS with padding and priority yields the fragment and the dependency', () => {
    const headers = decodeHeaders(
      parse(
        FrameType.HEADERS,
        FrameFlag.PADDED | FrameFlag.PRIORITY | FrameFlag.END_HEADERS | FrameFlag.END_STREAM,
        3,
        [1, 0x80, 0, 0, 1, 15, 0x82, 0x84, 0],
      ),
    );
    assert.deepEqual(bytes(headers.fragment), [0x82, 0x84]);
    assert.deepEqual(headers.priority, { exclusive: true, streamDependency: 1, weight: 16 });
    assert.deepEqual([headers.padLength, headers.endStream, headers.endHeaders], [1, true, true]);
  });

  test('HEADERS without flags is the payload as fragment', () => {
    const frame = parse(FrameType.HEADERS, 0, 1, [0x82]);
    const headers = decodeHeaders(frame);
    assert.equal(headers.fragment, frame.payload);
    assert.deepEqual([headers.priority, headers.endHeaders], [null, false]);
  });

  test('PRIORITY, RST_STREAM, WINDOW_UPDATE and PING', () => {
    assert.deepEqual(decodePriority(parse(FrameType.PRIORITY, 0, 5, [0, 0, 0, 3, 255])), {
      exclusive: false,
      streamDependency: 3,
      weight: 256,
    });
    assert.equal(decodeRstStream(parse(FrameType.RST_STREAM, 0, 1, [0xff, 0, 0, 8])), 0xff000008);
    assert.equal(
      decodeWindowUpdate(parse(FrameType.WINDOW_UPDATE, 0, 0, [0xff, 0xff, 0xff, 0xff])),
      0x7fffffff,
    );
    const ping = decodePing(parse(FrameType.PING, FrameFlag.ACK, 0, [1, 2, 3, 4, 5, 6, 7, 8]));
    assert.deepEqual([ping.ack, bytes(ping.data)], [true, [1, 2, 3, 4, 5, 6, 7, 8]]);
  });

  test('SETTINGS lists parameters in wire order, repeats and unknown ids included', () => {
    const settings = decodeSettings(
      parse(FrameType.SETTINGS, 0, 0, [0, 1, 0, 0, 0x10, 0, 0, 0x99, 0, 0, 0, 7, 0, 1, 0, 0, 0, 0]),
    );
    assert.deepEqual(settings, {
      ack: false,
      settings: [
        { id: 1, value: 4096 },
        { id: 0x99, value: 7 },
        { id: 1, value: 0 },
      ],
    });
  });

  test('GOAWAY gives the last stream, the code and the debug data', () => {
    const goaway = decodeGoaway(
      parse(FrameType.GOAWAY, 0, 0, [0x80, 0, 0, 9, 0, 0, 0, 1, ...Buffer.from('bye')]),
    );
    assert.deepEqual(
      [goaway.lastStreamId, goaway.errorCode, Buffer.from(goaway.debugData).toString()],
      [9, 1, 'bye'],
    );
  });

  test('PUSH_PROMISE and CONTINUATION', () => {
    const push = decodePushPromise(
      parse(
        FrameType.PUSH_PROMISE,
        FrameFlag.PADDED | FrameFlag.END_HEADERS,
        1,
        [1, 0, 0, 0, 2, 0x82, 0],
      ),
    );
    assert.deepEqual(
      [push.promisedStreamId, bytes(push.fragment), push.padLength, push.endHeaders],
      [2, [0x82], 1, true],
    );
    const continuation = decodeContinuation(parse(FrameType.CONTINUATION, 0, 1, [0x84]));
    assert.deepEqual([bytes(continuation.fragment), continuation.endHeaders], [[0x84], false]);
  });
});
