import type { ChannelEvent, Side } from '../http2/channel-event.js';
import type { ErrorCodeName } from './error-code.js';
import type { Peer } from './relay-stream.js';

/** Wire facts about the frame(s) an event came from, for records that show the wire. */
export interface FrameFacts {
  readonly frameType: number;
  /** The flags byte of the (first) frame as sent. */
  readonly flags: number;
  readonly padLength: number;
  /** The raw HPACK bytes of a header block; null for DATA. */
  readonly headerBlock: Uint8Array | null;
  readonly continuations: number;
  /** The decoded list was over the proxy's limit: `headers` holds only the fields that fit. */
  readonly truncated: boolean;
}

/** A connection-level failure, recorded once; the relay has sent GOAWAY and ended both sides. */
export interface RelayFailure {
  readonly code: ErrorCodeName | 'REFUSED_STREAM';
  readonly cause: string;
  readonly reason: string;
  readonly side: Side;
  /** The stream concerned, 0 for the connection. */
  readonly streamId: number;
}

/** The relay's outputs, as callbacks so no arrays are built per chunk. */
export interface RelayOutput {
  /** Bytes for that peer, in order. */
  write(side: Peer, bytes: Uint8Array): void;
  /** A channel event, after the bytes it describes were handed to `write`. */
  event(event: ChannelEvent, frame: FrameFacts | null): void;
  /** Close that side once its writes are flushed. */
  end(side: Peer, reason: string): void;
  /** A recorded failure: a connection error, or a stream the proxy refused. */
  error(failure: RelayFailure): void;
}

export interface RelayOptions {
  readonly output: RelayOutput;
  /** A new flow id for each stream (unique in the process). */
  readonly nextFlowId: () => string;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** Concurrently open streams the relay tracks (default 1000); beyond, REFUSED_STREAM. */
  readonly maxStreams?: number;
  readonly maxContinuations?: number;
  readonly maxHeaderBlockBytes?: number;
  /** Decoded header-list bytes recorded per block (default 64 KiB); the block still passes. */
  readonly maxHeaderListBytes?: number;
}

/**
 * One client HTTP/2 connection paired with one upstream connection, as a pure state machine: bytes
 * in (`receive`), bytes, events and failures out (`RelayOptions.output`). See docs/http2-relay.md.
 */
export interface RelayConnection {
  receive(side: Peer, chunk: Uint8Array): void;
  /** That side's socket ended. */
  close(side: Peer): void;
  /** RST_STREAM to both peers; later frames of the stream are dropped and their DATA credited. */
  resetStream(streamId: number, code: number, reason: string): void;
  /** Streams open now. */
  readonly openStreams: number;
  /** Whether the proxy's encoder owns the header blocks sent by that peer (sticky). */
  isReencoding(sender: Peer): boolean;
  readonly closed: boolean;
}

export const DEFAULT_MAX_STREAMS = 1000;
