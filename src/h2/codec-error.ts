import { ErrorCode, type ErrorCodeName } from './error-code.js';

/**
 * Why the codec refused its input. Framing causes come from the frame parser, block causes from
 * the header block assembler, HPACK causes from the decoder.
 */
export type CodecErrorCause =
  // Frame parser (RFC 9113 §3.4, §4, §6)
  | 'badPreface'
  | 'frameTooLarge'
  | 'badStreamId'
  | 'badFrameLength'
  | 'badPadding'
  | 'badSetting'
  | 'unexpectedFrame'
  | 'truncatedFrame'
  // Header block assembler (RFC 9113 §6.10) and the proxy's own limits on blocks
  | 'interruptedHeaderBlock'
  | 'unexpectedContinuation'
  | 'tooManyContinuations'
  | 'headerBlockTooLarge'
  // HPACK decoder (RFC 7541)
  | 'badIndex'
  | 'integerOverflow'
  | 'truncatedBlock'
  | 'badHuffman'
  | 'badTableSizeUpdate';

/**
 * A peer's bytes the codec cannot accept. Every codec error is a connection error (RFC 9113
 * §5.4.1): the byte stream of that direction can no longer be framed or its HPACK state can no
 * longer be followed, so whoever holds the parser or decoder stops using it. `code` is the error
 * code a GOAWAY should carry; `reason` is one line naming the RFC section broken.
 */
export interface CodecError {
  readonly code: ErrorCodeName;
  /** `ErrorCode[code]`, for GOAWAY and records. */
  readonly http2Code: number;
  readonly cause: CodecErrorCause;
  readonly reason: string;
  /** The stream of the offending frame or header block; 0 when it was on the connection. */
  readonly streamId: number;
}

export function codecError(
  code: ErrorCodeName,
  cause: CodecErrorCause,
  reason: string,
  streamId = 0,
): CodecError {
  return { code, http2Code: ErrorCode[code], cause, reason, streamId };
}
