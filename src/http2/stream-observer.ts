import type { ChannelEvent, HeaderList } from './channel-event.js';

/** Lets an observer end a stream it found malformed (e.g. an oversize gRPC message). */
export interface StreamControl {
  /** Resets both sides with `http2Code`; the stream then reports a `proxy`-side reset. */
  reset(http2Code: number, reason: string): void;
}

/** Receives a stream's channel events after the bytes they describe were forwarded. */
export interface StreamObserver {
  onEvent(event: ChannelEvent): void;
}

/**
 * Called once per stream with its id and request headers; returns the stream's observer, or null
 * when nobody watches (then no events are built at all).
 */
export type OpenStreamObserver = (
  streamId: string,
  requestHeaders: HeaderList,
  control: StreamControl,
) => StreamObserver | null;
