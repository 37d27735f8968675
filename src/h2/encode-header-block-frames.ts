import type { HeaderBlock } from './create-header-block-assembler.js';
import { encodeHeadersFrames } from './encode-frame.js';
import { FrameType } from './frame-constants.js';

/**
 * A re-encoded block framed like the original: HEADERS (+ CONTINUATION) with its END_STREAM, or
 * PUSH_PROMISE with its promised stream, split at the receiver's SETTINGS_MAX_FRAME_SIZE.
 */
export function encodeHeaderBlockFrames(
  block: HeaderBlock,
  encoded: Uint8Array,
  maxFrameSize: number,
): Buffer {
  if (block.type === FrameType.HEADERS) {
    return encodeHeadersFrames(block.streamId, encoded, {
      endStream: block.endStream,
      maxFrameSize,
    });
  }
  const promised = Buffer.alloc(4);
  promised.writeUInt32BE(block.promisedStreamId);
  const frames = encodeHeadersFrames(block.streamId, Buffer.concat([promised, encoded]), {
    maxFrameSize,
  });
  frames[3] = FrameType.PUSH_PROMISE;
  return frames;
}
