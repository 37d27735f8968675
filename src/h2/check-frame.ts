import { type CodecError, codecError } from './codec-error.js';
import { type Frame, readUint32 } from './frame.js';
import {
  FrameFlag,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  MAX_WINDOW_SIZE,
  SettingId,
  nameFrameType,
} from './frame-constants.js';

/** Which peer wrote the bytes a parser reads: decides the preface and who may push (§8.4). */
export type FrameSender = 'client' | 'server';

/**
 * The checks that need only the 9-byte header, run before any payload byte is buffered: the
 * receiver's SETTINGS_MAX_FRAME_SIZE (§4.2), the stream identifier each type requires, and the
 * lengths of fixed-size frames (§6.1-§6.10). Unknown types pass (§4.1, §5.5).
 */
export function checkFrameHeader(
  type: number,
  flags: number,
  streamId: number,
  length: number,
  maxFrameSize: number,
  sender: FrameSender,
): CodecError | null {
  const name = nameFrameType(type);
  if (length > maxFrameSize) {
    return codecError(
      'FRAME_SIZE_ERROR',
      'frameTooLarge',
      `${name} frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${maxFrameSize} (RFC 9113 §4.2)`,
      streamId,
    );
  }
  switch (type) {
    case FrameType.DATA:
      return (
        needStream(name, streamId, '§6.1') ??
        needLength(name, streamId, length, flags & FrameFlag.PADDED ? 1 : 0, '§6.1')
      );
    case FrameType.HEADERS:
      return (
        needStream(name, streamId, '§6.2') ??
        needLength(
          name,
          streamId,
          length,
          (flags & FrameFlag.PADDED ? 1 : 0) + (flags & FrameFlag.PRIORITY ? 5 : 0),
          '§6.2',
        )
      );
    case FrameType.PRIORITY:
      return needStream(name, streamId, '§6.3') ?? exactLength(name, streamId, length, 5, '§6.3');
    case FrameType.RST_STREAM:
      return needStream(name, streamId, '§6.4') ?? exactLength(name, streamId, length, 4, '§6.4');
    case FrameType.SETTINGS:
      if (streamId !== 0) return onStream(name, streamId, '§6.5');
      if (flags & FrameFlag.ACK && length !== 0) {
        return codecError(
          'FRAME_SIZE_ERROR',
          'badFrameLength',
          `SETTINGS ACK with a ${length}-byte payload (RFC 9113 §6.5)`,
        );
      }
      if (length % 6 !== 0) {
        return codecError(
          'FRAME_SIZE_ERROR',
          'badFrameLength',
          `SETTINGS payload of ${length} bytes is not a multiple of 6 (RFC 9113 §6.5)`,
        );
      }
      return null;
    case FrameType.PUSH_PROMISE:
      if (sender === 'client') {
        return codecError(
          'PROTOCOL_ERROR',
          'unexpectedFrame',
          'PUSH_PROMISE from a client (RFC 9113 §8.4)',
          streamId,
        );
      }
      return (
        needStream(name, streamId, '§6.6') ??
        needLength(name, streamId, length, (flags & FrameFlag.PADDED ? 1 : 0) + 4, '§6.6')
      );
    case FrameType.PING:
      return streamId !== 0
        ? onStream(name, streamId, '§6.7')
        : exactLength(name, 0, length, 8, '§6.7');
    case FrameType.GOAWAY:
      return streamId !== 0
        ? onStream(name, streamId, '§6.8')
        : needLength(name, 0, length, 8, '§6.8');
    case FrameType.WINDOW_UPDATE:
      return exactLength(name, streamId, length, 4, '§6.9');
    case FrameType.CONTINUATION:
      return needStream(name, streamId, '§6.10');
    default:
      return null;
  }
}

/**
 * The checks that need the payload: padding that does not fit (§6.1, §6.2, §6.6) and SETTINGS
 * values out of range (§6.5.2; RFC 8441 §3; RFC 9218 §2.1). A frame that passes both checks can be
 * given to every decode helper without further checks.
 */
export function checkFramePayload(frame: Frame, sender: FrameSender): CodecError | null {
  const { type, flags, payload, streamId } = frame;
  if (type === FrameType.SETTINGS) return checkSettings(payload, sender);
  if (!(flags & FrameFlag.PADDED)) return null;
  let fixed: number;
  if (type === FrameType.DATA) fixed = 1;
  else if (type === FrameType.HEADERS) fixed = 1 + (flags & FrameFlag.PRIORITY ? 5 : 0);
  else if (type === FrameType.PUSH_PROMISE) fixed = 5;
  else return null;
  const padLength = payload[0] as number;
  if (padLength > payload.length - fixed) {
    const section = type === FrameType.DATA ? '§6.1' : type === FrameType.HEADERS ? '§6.2' : '§6.6';
    return codecError(
      'PROTOCOL_ERROR',
      'badPadding',
      `${nameFrameType(type)} padding of ${padLength} bytes in a ${payload.length}-byte payload (RFC 9113 ${section})`,
      streamId,
    );
  }
  return null;
}

function checkSettings(payload: Uint8Array, sender: FrameSender): CodecError | null {
  for (let at = 0; at + 6 <= payload.length; at += 6) {
    const id = ((payload[at] as number) << 8) | (payload[at + 1] as number);
    const value = readUint32(payload, at + 2);
    switch (id) {
      case SettingId.ENABLE_PUSH:
        if (value > 1 || (sender === 'server' && value !== 0)) {
          return badSetting('SETTINGS_ENABLE_PUSH', value, 'RFC 9113 §6.5.2');
        }
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW_SIZE) {
          return codecError(
            'FLOW_CONTROL_ERROR',
            'badSetting',
            `SETTINGS_INITIAL_WINDOW_SIZE ${value} exceeds 2^31-1 (RFC 9113 §6.5.2)`,
          );
        }
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < 16_384 || value > MAX_FRAME_SIZE_LIMIT) {
          return badSetting('SETTINGS_MAX_FRAME_SIZE', value, 'RFC 9113 §6.5.2');
        }
        break;
      case SettingId.ENABLE_CONNECT_PROTOCOL:
        if (value > 1) return badSetting('SETTINGS_ENABLE_CONNECT_PROTOCOL', value, 'RFC 8441 §3');
        break;
      case SettingId.NO_RFC7540_PRIORITIES:
        if (value > 1) return badSetting('SETTINGS_NO_RFC7540_PRIORITIES', value, 'RFC 9218 §2.1');
        break;
      default:
        break;
    }
  }
  return null;
}

function badSetting(name: string, value: number, section: string): CodecError {
  return codecError('PROTOCOL_ERROR', 'badSetting', `${name} of ${value} is invalid (${section})`);
}

function needStream(name: string, streamId: number, section: string): CodecError | null {
  if (streamId !== 0) return null;
  return codecError(
    'PROTOCOL_ERROR',
    'badStreamId',
    `${name} frame on stream 0 (RFC 9113 ${section})`,
  );
}

function onStream(name: string, streamId: number, section: string): CodecError {
  return codecError(
    'PROTOCOL_ERROR',
    'badStreamId',
    `${name} frame on stream ${streamId}, must be stream 0 (RFC 9113 ${section})`,
    streamId,
  );
}

function exactLength(
  name: string,
  streamId: number,
  length: number,
  expected: number,
  section: string,
): CodecError | null {
  if (length === expected) return null;
  return codecError(
    'FRAME_SIZE_ERROR',
    'badFrameLength',
    `${name} frame of ${length} bytes, expected ${expected} (RFC 9113 ${section})`,
    streamId,
  );
}

function needLength(
  name: string,
  streamId: number,
  length: number,
  minimum: number,
  section: string,
): CodecError | null {
  if (length >= minimum) return null;
  return codecError(
    'FRAME_SIZE_ERROR',
    'badFrameLength',
    `${name} frame of ${length} bytes is shorter than its ${minimum} fixed bytes (RFC 9113 ${section})`,
    streamId,
  );
}
