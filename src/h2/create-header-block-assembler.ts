import { type CodecError, codecError } from './codec-error.js';
import { decodeHeaders, decodePushPromise, type PriorityFields } from './decode-frame.js';
import type { Frame } from './frame.js';
import { FrameFlag, FrameType, nameFrameType } from './frame-constants.js';

/**
 * Limits on one header block, protecting the proxy against CONTINUATION floods (many frames,
 * each cheap to send) and against blocks it would have to buffer whole before decoding.
 */
export interface HeaderBlockLimits {
  /**
   * CONTINUATION frames allowed after one HEADERS or PUSH_PROMISE. Default 64: senders fill each
   * CONTINUATION to the frame size (nghttp2, Go, grpc-java do), so a block at the byte limit needs
   * 16 at the default 16 KiB frame size; 64 leaves room for senders that use smaller frames while
   * bounding the frames one block can make the proxy handle. nghttp2 accepts 8.
   */
  readonly maxContinuations?: number;
  /**
   * Total HPACK bytes of one block (all fragments, padding and priority fields excluded). Default
   * 256 KiB: four times the 64 KiB decoded header-list limit, above the 144 KiB (nine 16 KiB
   * frames) nghttp2 sends or accepts, so a block any real peer accepts is never refused here.
   */
  readonly maxBlockBytes?: number;
}

export const DEFAULT_MAX_CONTINUATIONS = 64;
export const DEFAULT_MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/** A complete header block: what HEADERS or PUSH_PROMISE plus CONTINUATION* carried. */
export interface HeaderBlock {
  /** `FrameType.HEADERS` or `FrameType.PUSH_PROMISE`. */
  readonly type: number;
  readonly streamId: number;
  /** The stream a PUSH_PROMISE reserves; 0 for HEADERS. */
  readonly promisedStreamId: number;
  /** END_STREAM of the HEADERS frame (always false for PUSH_PROMISE). */
  readonly endStream: boolean;
  /** The flags byte of the first frame as sent. */
  readonly flags: number;
  readonly priority: PriorityFields | null;
  /** Padding of the first frame (CONTINUATION has none). */
  readonly padLength: number;
  readonly continuations: number;
  /**
   * The raw HPACK bytes of the whole block, for the decoder and for records. A view of the
   * HEADERS payload when the block fits one frame; otherwise a copy owned by the block.
   */
  readonly block: Uint8Array;
}

/** What `accept` made of one frame. */
export type HeaderBlockStep =
  /** The frame is not part of a header block: handle it by its type. */
  | { readonly kind: 'notHeaderBlock' }
  /** The frame opened or continued a block that is not complete yet. */
  | { readonly kind: 'blockContinues' }
  | { readonly kind: 'blockComplete'; readonly block: HeaderBlock }
  /** A connection error (RFC 9113 §5.4.1); the assembler is unusable afterwards. */
  | { readonly kind: 'error'; readonly error: CodecError };

/**
 * Assembles header blocks (RFC 9113 §4.3, §6.10) from every frame of one direction, in order. A
 * block's frames must be contiguous: anything but a CONTINUATION on the same stream while a block
 * is open, or a CONTINUATION when none is, is a connection PROTOCOL_ERROR. Limits beyond the
 * RFC's are ENHANCE_YOUR_CALM (§7: excessive load).
 */
export interface HeaderBlockAssembler {
  accept(frame: Frame): HeaderBlockStep;
  /** True while a HEADERS or PUSH_PROMISE waits for CONTINUATION. */
  readonly inBlock: boolean;
  /** Bytes of the open block copied so far (0 when no block is open). */
  readonly bufferedBytes: number;
}

const NOT_HEADER_BLOCK: HeaderBlockStep = { kind: 'notHeaderBlock' };
const BLOCK_CONTINUES: HeaderBlockStep = { kind: 'blockContinues' };

export function createHeaderBlockAssembler(limits: HeaderBlockLimits = {}): HeaderBlockAssembler {
  return new Assembler(
    limits.maxContinuations ?? DEFAULT_MAX_CONTINUATIONS,
    limits.maxBlockBytes ?? DEFAULT_MAX_HEADER_BLOCK_BYTES,
  );
}

type Opening = Omit<HeaderBlock, 'continuations' | 'block'>;

class Assembler implements HeaderBlockAssembler {
  private opening: Opening | null = null;
  private parts: Uint8Array[] = [];
  private size = 0;
  private continuations = 0;
  private error: CodecError | null = null;

  constructor(
    private readonly maxContinuations: number,
    private readonly maxBlockBytes: number,
  ) {}

  get inBlock(): boolean {
    return this.opening !== null;
  }

  get bufferedBytes(): number {
    return this.opening !== null ? this.size : 0;
  }

  accept(frame: Frame): HeaderBlockStep {
    if (this.error !== null) return { kind: 'error', error: this.error };
    const { type } = frame;
    if (this.opening !== null) {
      if (type !== FrameType.CONTINUATION || frame.streamId !== this.opening.streamId) {
        return this.fail(
          codecError(
            'PROTOCOL_ERROR',
            'interruptedHeaderBlock',
            `${nameFrameType(type)} on stream ${frame.streamId} inside the header block of stream ${this.opening.streamId} (RFC 9113 §6.10)`,
            this.opening.streamId,
          ),
        );
      }
      return this.continueBlock(frame);
    }
    if (type === FrameType.HEADERS) {
      const fields = decodeHeaders(frame);
      return this.open(frame, fields.fragment, {
        type,
        streamId: frame.streamId,
        promisedStreamId: 0,
        endStream: fields.endStream,
        flags: frame.flags,
        priority: fields.priority,
        padLength: fields.padLength,
      });
    }
    if (type === FrameType.PUSH_PROMISE) {
      const fields = decodePushPromise(frame);
      return this.open(frame, fields.fragment, {
        type,
        streamId: frame.streamId,
        promisedStreamId: fields.promisedStreamId,
        endStream: false,
        flags: frame.flags,
        priority: null,
        padLength: fields.padLength,
      });
    }
    if (type === FrameType.CONTINUATION) {
      return this.fail(
        codecError(
          'PROTOCOL_ERROR',
          'unexpectedContinuation',
          `CONTINUATION on stream ${frame.streamId} without an open header block (RFC 9113 §6.10)`,
          frame.streamId,
        ),
      );
    }
    return NOT_HEADER_BLOCK;
  }

  private open(frame: Frame, fragment: Uint8Array, opening: Opening): HeaderBlockStep {
    if (fragment.length > this.maxBlockBytes)
      return this.tooLarge(opening.streamId, fragment.length);
    if (frame.flags & FrameFlag.END_HEADERS) {
      return completeBlock(opening, 0, fragment);
    }
    this.opening = opening;
    this.parts = [Uint8Array.prototype.slice.call(fragment)];
    this.size = fragment.length;
    this.continuations = 0;
    return BLOCK_CONTINUES;
  }

  private continueBlock(frame: Frame): HeaderBlockStep {
    const opening = this.opening as Opening;
    this.continuations += 1;
    if (this.continuations > this.maxContinuations) {
      return this.fail(
        codecError(
          'ENHANCE_YOUR_CALM',
          'tooManyContinuations',
          `header block of stream ${opening.streamId} exceeds ${this.maxContinuations} CONTINUATION frames`,
          opening.streamId,
        ),
      );
    }
    const fragment = frame.payload;
    if (this.size + fragment.length > this.maxBlockBytes) {
      return this.tooLarge(opening.streamId, this.size + fragment.length);
    }
    this.size += fragment.length;
    const last = (frame.flags & FrameFlag.END_HEADERS) !== 0;
    if (!last) {
      if (fragment.length > 0) this.parts.push(Uint8Array.prototype.slice.call(fragment));
      return BLOCK_CONTINUES;
    }
    const block = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.parts) {
      block.set(part, at);
      at += part.length;
    }
    block.set(fragment, at);
    const continuations = this.continuations;
    this.opening = null;
    this.parts = [];
    this.size = 0;
    this.continuations = 0;
    return completeBlock(opening, continuations, block);
  }

  private tooLarge(streamId: number, size: number): HeaderBlockStep {
    return this.fail(
      codecError(
        'ENHANCE_YOUR_CALM',
        'headerBlockTooLarge',
        `header block of stream ${streamId} reaches ${size} bytes, over the ${this.maxBlockBytes}-byte limit`,
        streamId,
      ),
    );
  }

  private fail(error: CodecError): HeaderBlockStep {
    this.error = error;
    this.opening = null;
    this.parts = [];
    this.size = 0;
    return { kind: 'error', error };
  }
}

/** A literal with every field in one order: object spread here cost microseconds per block. */
function completeBlock(
  opening: Opening,
  continuations: number,
  block: Uint8Array,
): HeaderBlockStep {
  return {
    kind: 'blockComplete',
    block: {
      type: opening.type,
      streamId: opening.streamId,
      promisedStreamId: opening.promisedStreamId,
      endStream: opening.endStream,
      flags: opening.flags,
      priority: opening.priority,
      padLength: opening.padLength,
      continuations,
      block,
    },
  };
}
