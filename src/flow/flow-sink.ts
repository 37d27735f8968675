/**
 * The sink side of the observer pipeline: dispatch → flow assembler → decoding → fan-out to sinks.
 * A sink is one file implementing `FlowSink` (the stdout tail, the `--record` file, the flow
 * store, ...). See docs/architecture.md, "The observer pipeline".
 */
import type { EarlyResetSummary } from './early-reset-tracker.js';
import type { GrpcFlowItem } from './grpc-flow-item.js';
import type { HttpExchange } from './http-exchange.js';

export type { EarlyResetSummary } from './early-reset-tracker.js';
export type { GrpcFlowItem } from './grpc-flow-item.js';
export type { GapNotice } from './gap-tracker.js';

/** One plain HTTP exchange (HTTP/1.1, or an HTTP/2 stream that is not gRPC), once it is over. */
export interface HttpFlowItem {
  readonly kind: 'http';
  readonly exchange: HttpExchange;
}

/**
 * Streams of one connection reset by the client before any answer, during a flood of such resets
 * from its address: summarised, one item per connection per batch, instead of a flow each.
 */
export interface EarlyResetsFlowItem {
  readonly kind: 'earlyResets';
  readonly summary: EarlyResetSummary;
}

/**
 * What the pipeline hands to every sink, in observation order.
 *
 * - `grpc`: one envelope of a call (`start`, `data`, `end`, `flow`) with the call's identity and
 *   a lazily decoded view (`GrpcFlowItem`).
 * - `http`: one plain HTTP exchange.
 * - `earlyResets`: a batch of early-reset streams summarised during a flood.
 */
export type FlowItem = GrpcFlowItem | HttpFlowItem | EarlyResetsFlowItem;

/** What a sink asks the stages before it to prepare. */
export interface SinkNeeds {
  /**
   * Plain HTTP bodies: when some sink sets this, exchanges carry their bodies up to the body cap
   * (`--store-max-body`); otherwise none are captured.
   */
  readonly httpBodies: boolean;
}

/**
 * A destination of observations.
 *
 * Contract:
 * - `accept` is called synchronously on the observing path, after the bytes an item describes were
 *   forwarded. It must never block, never wait for I/O and never throw: it encodes what it needs
 *   and hands it to its own bounded queue (a writer's byte cap, a batch bound for a worker).
 * - Items may be kept past the call (to batch them); they are immutable except for the caches
 *   `GrpcFlowItem` fills itself. Byte arrays in them are never reused by the producer.
 * - When its queue is over its cap the sink drops and counts (`createGapTracker`), and once it has
 *   room again writes a gap notice before anything else; `close` writes a pending one too. A sink
 *   never loses records silently.
 * - Decoding is the sink's choice: `GrpcFlowItem.decodedView()` decodes on first call only.
 */
export interface FlowSink {
  /** Short name in gap notices and logs: `tail`, `record`, `store`. */
  readonly name: string;
  readonly needs: SinkNeeds;
  accept(item: FlowItem): void;
  /** Writes any pending gap notice, then everything queued; resolves once it is out. */
  close(): Promise<void>;
}
