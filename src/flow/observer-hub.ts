import { createGrpcStream } from '../grpc/grpc-stream.js';
import { isGrpcContentType } from '../grpc/is-grpc-content-type.js';
import type { ChannelEvent, ConnectionInfo } from '../http2/channel-event.js';
import { findHeader } from '../http2/header-list.js';
import type {
  OpenStreamObserver,
  StreamControl,
  StreamObserver,
} from '../http2/stream-observer.js';
import { createFlowAssembler, type FlowAssembler } from './assemble-flow.js';
import { createEarlyResetTracker, type EarlyResetTracker } from './early-reset-tracker.js';
import type { FlowPipeline } from './flow-pipeline.js';
import type { GrpcFlowItem } from './grpc-flow-item.js';
import { createHttpExchangeTracker } from './http-exchange.js';

export interface ObserverHubOptions {
  readonly maxMessageSize: number;
  readonly pipeline: FlowPipeline;
  readonly warn: (line: string) => void;
  /** Rapid-reset accounting; default `createEarlyResetTracker()`. */
  readonly earlyResets?: EarlyResetTracker;
}

export interface ObserverHub {
  /** Opens the observer of each stream (for the HTTP/2 engine). */
  readonly observe: OpenStreamObserver;
  /**
   * Publishes the early-reset summaries whose batch is over at `time` (all of them with `all`, at
   * shutdown). The caller calls it about once a batch while `pending`.
   */
  flushEarlyResets(time: number, all: boolean): void;
  readonly earlyResets: EarlyResetTracker;
}

/** Items a held stream keeps before it is published anyway. */
const MAX_HELD_ITEMS = 16;
/** Message bytes a held stream keeps before it is published anyway. */
const MAX_HELD_BYTES = 1024 * 1024;

function isEarlyReset(event: ChannelEvent, answered: boolean): boolean {
  return event.kind === 'streamReset' && event.side === 'client' && !answered;
}

/**
 * The dispatch stage of the observer pipeline. Chooses each stream's protocol layer from its
 * request headers: `application/grpc[+x]` streams go through the gRPC layer and the flow
 * assembler (one item per envelope), every other stream becomes one plain-HTTP exchange item.
 *
 * Early resets (streams the client resets before any response headers) are counted per client
 * address. While an address floods (see `EARLY_RESET_FLOOD_THRESHOLD`), its new streams' items
 * are held until the response headers come (then published as usual) or the early reset comes
 * (then the stream joins its connection's `earlyResets` summary and its items are dropped); a
 * held stream that outgrows `MAX_HELD_ITEMS` or `MAX_HELD_BYTES` is published as usual.
 */
export function createObserverHub(options: ObserverHubOptions): ObserverHub {
  const { pipeline, warn } = options;
  const resets = options.earlyResets ?? createEarlyResetTracker();

  function observeGrpc(
    streamId: string,
    path: string,
    control: StreamControl,
    connection: ConnectionInfo,
    flow: FlowAssembler,
  ): StreamObserver {
    const layer = createGrpcStream({ maxMessageSize: options.maxMessageSize });
    let decided = false;
    let answered = false;
    let held: GrpcFlowItem[] | null = null;
    let heldBytes = 0;
    let summarised = false;
    const release = (): void => {
      const items = held ?? [];
      held = null;
      for (const item of items) pipeline.publish(item);
    };
    return {
      onUpstream: (info) => flow.setUpstream(info),
      onEvent(event) {
        if (layer.finished || summarised) return;
        if (!decided) {
          decided = true;
          if (resets.isFlooding(connection.clientAddress, event.time)) held = [];
        }
        if (isEarlyReset(event, answered)) {
          resets.count(connection, path, event.time, held !== null);
          if (held !== null) {
            held = null;
            summarised = true;
            return;
          }
        }
        if (event.kind === 'headersReceived' && event.direction === 'receive') answered = true;
        const result = layer.push(event);
        for (const line of result.warnings) warn(line);
        for (const envelope of result.envelopes) {
          const item = flow.assemble(envelope);
          if (held === null) {
            pipeline.publish(item);
            continue;
          }
          held.push(item);
          if (envelope.kind === 'data') heldBytes += envelope.raw.length;
        }
        if (
          held !== null &&
          (answered || held.length > MAX_HELD_ITEMS || heldBytes > MAX_HELD_BYTES)
        )
          release();
        if (held !== null && layer.finished) release();
        if (result.reset) {
          warn(`stream ${streamId}: ${result.reset.reason}; resetting it`);
          control.reset(result.reset.http2Code, result.reset.reason);
        }
      },
    };
  }

  const observe: OpenStreamObserver = (streamId, requestHeaders, control, connection, upstream) => {
    const path = findHeader(requestHeaders, ':path') ?? '';
    if (isGrpcContentType(findHeader(requestHeaders, 'content-type'))) {
      const flow = createFlowAssembler(pipeline.decoder, connection, upstream);
      return observeGrpc(streamId, path, control, connection, flow);
    }
    const tracker = createHttpExchangeTracker(
      streamId,
      requestHeaders,
      connection,
      upstream,
      pipeline.bodyCapBytes,
    );
    let flooding: boolean | null = null;
    let answered = false;
    return {
      onUpstream: (info) => tracker.setUpstream(info),
      onEvent(event) {
        flooding ??= resets.isFlooding(connection.clientAddress, event.time);
        if (isEarlyReset(event, answered)) {
          resets.count(connection, path, event.time, flooding);
          if (flooding) {
            tracker.push(event);
            return;
          }
        }
        if (event.kind === 'headersReceived' && event.direction === 'receive') answered = true;
        const exchange = tracker.push(event);
        if (exchange) pipeline.publish({ kind: 'http', exchange });
      },
    };
  };

  return {
    observe,
    earlyResets: resets,
    flushEarlyResets(time, all) {
      for (const summary of resets.takeDue(time, all)) {
        pipeline.publish({ kind: 'earlyResets', summary });
      }
    },
  };
}
