import type { Side } from '../http2/channel-event.js';

/** Which peer sent a frame the relay saw: the client, or the upstream server. */
export type Peer = 'client' | 'upstream';

/**
 * The RFC 9113 §5.1 state of a client-initiated stream as the relay sees it, between the two
 * peers. The relay's "half-closed" names the peer that finished sending (END_STREAM seen from it):
 *
 * ```
 *                      +--------+
 *              HEADERS |        |
 *          ,-----------|  idle  |
 *         /            +--------+
 *        v
 *    +--------+  END_STREAM from client   +-------------------+
 *    |        |-------------------------->| halfClosedClient  |--.
 *    |  open  |                           +-------------------+   \  END_STREAM
 *    |        |  END_STREAM from upstream +-------------------+    > from the other
 *    |        |-------------------------->| halfClosedUpstream|--'   peer
 *    +--------+                           +-------------------+      |
 *        |   RST_STREAM (either peer or the proxy)                   v
 *        '----------------------------------------------------> +--------+
 *                                                               | closed |
 *                                                               +--------+
 * ```
 *
 * Streams are created in `open` (the relay only tracks a stream once its request HEADERS arrive),
 * and `closed` records why, so a late frame can be told apart from a reset one.
 */
export type StreamState =
  | { readonly name: 'open' }
  | { readonly name: 'halfClosedClient' }
  | { readonly name: 'halfClosedUpstream' }
  | { readonly name: 'closed'; readonly by: 'endStream' | 'reset'; readonly side: Side };

/** What the relay knows of one stream: the flow id, what each direction has seen, interventions. */
export interface RelayStream {
  readonly id: number;
  /** The flow id its channel events carry. */
  readonly flowId: string;
  state: StreamState;
  /** Final (non-1xx) headers seen, per sending peer. */
  readonly headersSeen: Record<Peer, boolean>;
  /** The proxy reset the stream: later frames of it from either peer are dropped. */
  resetByProxy: boolean;
}

export function createRelayStream(id: number, flowId: string): RelayStream {
  return {
    id,
    flowId,
    state: { name: 'open' },
    headersSeen: { client: false, upstream: false },
    resetByProxy: false,
  };
}

/** The state after END_STREAM from `peer` (§5.1); unchanged when the stream is already closed. */
export function endStreamFrom(state: StreamState, peer: Peer): StreamState {
  switch (state.name) {
    case 'open':
      return peer === 'client' ? { name: 'halfClosedClient' } : { name: 'halfClosedUpstream' };
    case 'halfClosedClient':
      return peer === 'upstream' ? { name: 'closed', by: 'endStream', side: 'upstream' } : state;
    case 'halfClosedUpstream':
      return peer === 'client' ? { name: 'closed', by: 'endStream', side: 'client' } : state;
    case 'closed':
      return state;
  }
}

/** True while the stream counts against the proxy's limit of concurrently open streams. */
export function isActive(state: StreamState): boolean {
  return state.name !== 'closed';
}
