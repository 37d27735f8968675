import type { ChannelEvent, ConnectionInfo, HeaderList, UpstreamInfo } from './channel-event.js';

/** Lets an observer end a stream it found malformed (e.g. an oversize gRPC message). */
export interface StreamControl {
  /** Resets both sides with `http2Code`; the stream then reports a `proxy`-side reset. */
  reset(http2Code: number, reason: string): void;
}

/** Receives a stream's channel events after the bytes they describe were forwarded. */
export interface StreamObserver {
  onEvent(event: ChannelEvent): void;
  /**
   * The upstream connection the stream was sent on, once it is known (after the request headers,
   * before any response event). Not called when the upstream could not be reached.
   */
  onUpstream?(upstream: UpstreamInfo): void;
}

/**
 * Called once per stream with its id, request headers, the client connection it arrived on and
 * its destination (null when it has none, e.g. a request the proxy refuses); returns the stream's
 * observer, or null when nobody watches (then no events are built at all).
 */
export type OpenStreamObserver = (
  streamId: string,
  requestHeaders: HeaderList,
  control: StreamControl,
  connection: ConnectionInfo,
  upstream: UpstreamInfo | null,
) => StreamObserver | null;
