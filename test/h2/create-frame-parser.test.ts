/**
 * The frame parser as a transcript: bytes in, frames (or one error) out. Valid frames are views of
 * the pushed chunk; a frame split across chunks is assembled once; every framing rule the parser
 * enforces gives its RFC 9113 error code and names its section.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFrameParser, type FrameParser } from '../../src/h2/create-frame-parser.js';
import {
  encodeDataFrames,
  encodeGoawayFrame,
  encodeHeadersFrames,
  encodeSettingsAckFrame,
  encodeSettingsFrame,
} from '../../src/h2/encode-frame.js';
import {
  CONNECTION_PREFACE,
  FrameFlag,
  FrameType,
  SettingId,
} from '../../src/h2/frame-constants.js';
import { encodeFrame } from '../helpers/raw-h2.js';

const SETTINGS = encodeSettingsFrame([]);
const clientParser = (): FrameParser => createFrameParser({ sender: 'client' });
const midConnection = (sender: 'client' | 'server' = 'server', maxFrameSize?: number) =>
  createFrameParser({
    sender,
    preface: false,
    ...(maxFrameSize === undefined ? {} : { maxFrameSize }),
  });

describe('createFrameParser: frames', () => {
  test('reads the client preface, then SETTINGS, HEADERS and DATA as views of the chunk', () => {
    const chunk = Buffer.concat([
      CONNECTION_PREFACE,
      SETTINGS,
      encodeHeadersFrames(1, Buffer.from([0x82, 0x86, 0x84]), { endStream: false }),
      encodeDataFrames(1, Buffer.from('hello'), { endStream: true }),
    ]);
    const parser = clientParser();
    const { frames, error } = parser.push(chunk);
    assert.equal(error, null);
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags, f.streamId, f.length, f.offset]),
      [
        [FrameType.SETTINGS, 0, 0, 0, 24],
        [FrameType.HEADERS, FrameFlag.END_HEADERS, 1, 3, 33],
        [FrameType.DATA, FrameFlag.END_STREAM, 1, 5, 45],
      ],
    );
    for (const frame of frames) {
      assert.equal(frame.bytes.buffer, chunk.buffer, 'a view, not a copy');
      assert.deepEqual(
        Buffer.from(frame.bytes),
        chunk.subarray(frame.offset, frame.offset + 9 + frame.length),
      );
      assert.deepEqual(Buffer.from(frame.payload), Buffer.from(frame.bytes.subarray(9)));
    }
    assert.equal(Buffer.from(frames[2]?.payload ?? []).toString(), 'hello');
    assert.equal(parser.consumed, chunk.length);
    assert.equal(parser.bufferedBytes, 0);
    assert.equal(parser.end(), null);
  });

  test('expects SETTINGS first from a server, without the client magic', () => {
    const parser = createFrameParser({ sender: 'server' });
    const { frames, error } = parser.push(Buffer.concat([SETTINGS, encodeSettingsAckFrame()]));
    assert.equal(error, null);
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags]),
      [
        [FrameType.SETTINGS, 0],
        [FrameType.SETTINGS, FrameFlag.ACK],
      ],
    );
  });

  test('keeps frames of unknown types, with their flags and stream ids, as they came', () => {
    const unknown = encodeFrame(0x0a, 0xff, 7, Buffer.from('altsvc'));
    const { frames, error } = midConnection().push(unknown);
    assert.equal(error, null);
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags, f.streamId, Buffer.from(f.payload).toString()]),
      [[0x0a, 0xff, 7, 'altsvc']],
    );
  });

  test('drops the reserved bit of the stream id (RFC 9113 §4.1)', () => {
    const frame = encodeFrame(FrameType.DATA, 0, 3, Buffer.from('x'));
    frame[5] = 0x80;
    assert.equal(midConnection().push(frame).frames[0]?.streamId, 3);
  });

  test('assembles a frame split across chunks once, exposing its header while it is pending', () => {
    const data = encodeDataFrames(5, Buffer.alloc(1000, 7));
    const parser = midConnection();
    assert.deepEqual(parser.push(data.subarray(0, 4)).frames, []);
    assert.equal(parser.pending, null, 'four header bytes are not a header yet');
    assert.equal(parser.bufferedBytes, 4);
    assert.deepEqual(parser.push(data.subarray(4, 300)).frames, []);
    assert.deepEqual(parser.pending, {
      type: FrameType.DATA,
      flags: 0,
      streamId: 5,
      length: 1000,
      offset: 0,
    });
    assert.equal(parser.bufferedBytes, 300);
    const { frames } = parser.push(data.subarray(300));
    assert.equal(frames.length, 1);
    assert.deepEqual(Buffer.from(frames[0]?.bytes ?? []), data);
    assert.equal(parser.pending, null);
    assert.equal(parser.bufferedBytes, 0);
  });

  test('completes a zero-length frame whose header ends exactly at a chunk boundary', () => {
    const ack = encodeSettingsAckFrame();
    const parser = midConnection();
    assert.deepEqual(parser.push(ack.subarray(0, 5)).frames, []);
    assert.equal(parser.push(ack.subarray(5)).frames.length, 1);
  });

  test('accepts frames up to a raised SETTINGS_MAX_FRAME_SIZE', () => {
    const big = encodeDataFrames(1, Buffer.alloc(20_000), { maxFrameSize: 20_000 });
    const parser = midConnection();
    assert.equal(parser.push(big).error?.code, 'FRAME_SIZE_ERROR');
    const raised = midConnection();
    raised.setMaxFrameSize(20_000);
    assert.equal(raised.push(big).frames[0]?.length, 20_000);
    assert.throws(() => raised.setMaxFrameSize(100), RangeError);
  });

  test('names the bytes left at the end of the stream', () => {
    const parser = midConnection();
    parser.push(encodeGoawayFrame(0, 0).subarray(0, 12));
    assert.match(parser.end()?.reason ?? '', /inside a GOAWAY frame after 12 of its 17 bytes/);
    const header = midConnection();
    header.push(Buffer.from([0, 0]));
    assert.equal(header.end()?.cause, 'truncatedFrame');
    const preface = clientParser();
    preface.push(CONNECTION_PREFACE.subarray(0, 10));
    assert.match(preface.end()?.reason ?? '', /inside the client preface/);
  });
});

interface BadInput {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly code: string;
  readonly cause: string;
  readonly section: string;
  readonly sender?: 'client' | 'server';
  readonly preface?: boolean;
}

const frame = (type: number, flags: number, streamId: number, payload: number[] | Buffer) =>
  encodeFrame(type, flags, streamId, Buffer.from(payload));
const setting = (id: number, value: number) => encodeSettingsFrame([{ id, value }]);

const BAD_INPUTS: readonly BadInput[] = [
  {
    name: 'a client preface with a wrong byte',
    bytes: Buffer.from('PRI * HTTP/1.1\r\n'),
    code: 'PROTOCOL_ERROR',
    cause: 'badPreface',
    section: '§3.4',
    preface: true,
    sender: 'client',
  },
  {
    name: 'a first frame other than SETTINGS',
    bytes: Buffer.concat([CONNECTION_PREFACE, frame(FrameType.PING, 0, 0, Buffer.alloc(8))]),
    code: 'PROTOCOL_ERROR',
    cause: 'unexpectedFrame',
    section: '§3.4',
    preface: true,
    sender: 'client',
  },
  {
    name: 'a SETTINGS ACK as the server preface',
    bytes: encodeSettingsAckFrame(),
    code: 'PROTOCOL_ERROR',
    cause: 'unexpectedFrame',
    section: '§3.4',
    preface: true,
  },
  {
    name: 'a frame over SETTINGS_MAX_FRAME_SIZE',
    bytes: frame(FrameType.DATA, 0, 1, Buffer.alloc(16_385)),
    code: 'FRAME_SIZE_ERROR',
    cause: 'frameTooLarge',
    section: '§4.2',
  },
  ...(
    [
      [FrameType.DATA, '§6.1'],
      [FrameType.HEADERS, '§6.2'],
      [FrameType.PRIORITY, '§6.3'],
      [FrameType.RST_STREAM, '§6.4'],
      [FrameType.PUSH_PROMISE, '§6.6'],
      [FrameType.CONTINUATION, '§6.10'],
    ] as const
  ).map(([type, section]): BadInput => ({
    name: `type ${type} on stream 0`,
    bytes: frame(type, 0, 0, Buffer.alloc(type === FrameType.PRIORITY ? 5 : 4)),
    code: 'PROTOCOL_ERROR',
    cause: 'badStreamId',
    section,
  })),
  ...(
    [
      [FrameType.SETTINGS, 0, '§6.5'],
      [FrameType.PING, 8, '§6.7'],
      [FrameType.GOAWAY, 8, '§6.8'],
    ] as const
  ).map(([type, length, section]): BadInput => ({
    name: `type ${type} on stream 1`,
    bytes: frame(type, 0, 1, Buffer.alloc(length)),
    code: 'PROTOCOL_ERROR',
    cause: 'badStreamId',
    section,
  })),
  ...(
    [
      [FrameType.PING, 7, '§6.7'],
      [FrameType.PING, 9, '§6.7'],
      [FrameType.WINDOW_UPDATE, 3, '§6.9'],
      [FrameType.WINDOW_UPDATE, 5, '§6.9'],
      [FrameType.RST_STREAM, 8, '§6.4'],
      [FrameType.PRIORITY, 4, '§6.3'],
      [FrameType.SETTINGS, 5, '§6.5'],
      [FrameType.GOAWAY, 7, '§6.8'],
    ] as const
  ).map(([type, length, section]): BadInput => ({
    name: `type ${type} with ${length} payload bytes`,
    bytes: frame(
      type,
      0,
      type === FrameType.RST_STREAM || type === FrameType.PRIORITY ? 1 : 0,
      Buffer.alloc(length),
    ),
    code: 'FRAME_SIZE_ERROR',
    cause: 'badFrameLength',
    section,
  })),
  {
    name: 'a SETTINGS ACK with a payload',
    bytes: frame(FrameType.SETTINGS, FrameFlag.ACK, 0, Buffer.alloc(6)),
    code: 'FRAME_SIZE_ERROR',
    cause: 'badFrameLength',
    section: '§6.5',
  },
  {
    name: 'a padded DATA frame without room for its Pad Length',
    bytes: frame(FrameType.DATA, FrameFlag.PADDED, 1, []),
    code: 'FRAME_SIZE_ERROR',
    cause: 'badFrameLength',
    section: '§6.1',
  },
  {
    name: 'DATA padding as long as the payload',
    bytes: frame(FrameType.DATA, FrameFlag.PADDED, 1, [3, 0, 0]),
    code: 'PROTOCOL_ERROR',
    cause: 'badPadding',
    section: '§6.1',
  },
  {
    name: 'HEADERS padding longer than what follows the priority fields',
    bytes: frame(
      FrameType.HEADERS,
      FrameFlag.PADDED | FrameFlag.PRIORITY,
      1,
      [2, 0, 0, 0, 0, 16, 0x82],
    ),
    code: 'PROTOCOL_ERROR',
    cause: 'badPadding',
    section: '§6.2',
  },
  {
    name: 'PUSH_PROMISE padding longer than the fragment',
    bytes: frame(FrameType.PUSH_PROMISE, FrameFlag.PADDED, 1, [1, 0, 0, 0, 2]),
    code: 'PROTOCOL_ERROR',
    cause: 'badPadding',
    section: '§6.6',
  },
  {
    name: 'PUSH_PROMISE from a client',
    bytes: frame(FrameType.PUSH_PROMISE, FrameFlag.END_HEADERS, 1, [0, 0, 0, 2]),
    code: 'PROTOCOL_ERROR',
    cause: 'unexpectedFrame',
    section: '§8.4',
    sender: 'client',
  },
  {
    name: 'SETTINGS_ENABLE_PUSH of 2',
    bytes: setting(SettingId.ENABLE_PUSH, 2),
    code: 'PROTOCOL_ERROR',
    cause: 'badSetting',
    section: '§6.5.2',
    sender: 'client',
  },
  {
    name: 'SETTINGS_ENABLE_PUSH of 1 from a server',
    bytes: setting(SettingId.ENABLE_PUSH, 1),
    code: 'PROTOCOL_ERROR',
    cause: 'badSetting',
    section: '§6.5.2',
  },
  {
    name: 'SETTINGS_INITIAL_WINDOW_SIZE of 2^31',
    bytes: setting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31),
    code: 'FLOW_CONTROL_ERROR',
    cause: 'badSetting',
    section: '§6.5.2',
  },
  {
    name: 'SETTINGS_MAX_FRAME_SIZE of 16383',
    bytes: setting(SettingId.MAX_FRAME_SIZE, 16_383),
    code: 'PROTOCOL_ERROR',
    cause: 'badSetting',
    section: '§6.5.2',
  },
  {
    name: 'SETTINGS_MAX_FRAME_SIZE of 2^24',
    bytes: setting(SettingId.MAX_FRAME_SIZE, 2 ** 24),
    code: 'PROTOCOL_ERROR',
    cause: 'badSetting',
    section: '§6.5.2',
  },
];

describe('createFrameParser: framing errors', () => {
  for (const input of BAD_INPUTS) {
    test(`refuses ${input.name} with ${input.code} (RFC 9113 ${input.section})`, () => {
      const parser = createFrameParser({
        sender: input.sender ?? 'server',
        preface: input.preface ?? false,
      });
      const { frames, error } = parser.push(input.bytes);
      assert.deepEqual(frames, []);
      assert.equal(error?.code, input.code, error?.reason);
      assert.equal(error?.cause, input.cause);
      assert.ok(error?.reason.includes(input.section), error?.reason);
      assert.equal(parser.bufferedBytes, 0, 'nothing held after an error');
    });
  }

  test('returns the frames before the offending one, then the same error on every push', () => {
    const parser = midConnection();
    const good = encodeSettingsAckFrame();
    const bad = frame(FrameType.PING, 0, 0, Buffer.alloc(7));
    const first = parser.push(Buffer.concat([good, bad, good]));
    assert.equal(first.frames.length, 1);
    assert.equal(first.error?.cause, 'badFrameLength');
    assert.equal(parser.consumed, good.length, 'consumed stops at the offending frame');
    const again = parser.push(good);
    assert.deepEqual(again.frames, []);
    assert.equal(again.error, first.error);
  });

  test('refuses an oversized frame from its header alone, before buffering its payload', () => {
    const parser = midConnection();
    const header = frame(FrameType.DATA, 0, 1, Buffer.alloc(0));
    header.writeUIntBE(0xffffff, 0, 3);
    const { error } = parser.push(header);
    assert.equal(error?.cause, 'frameTooLarge');
    assert.equal(parser.bufferedBytes, 0);
  });
});
