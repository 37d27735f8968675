import { createGrpcStream } from '../grpc/grpc-stream.js';
import { isGrpcContentType } from '../grpc/is-grpc-content-type.js';
import { findHeader } from '../http2/header-list.js';
import type { OpenStreamObserver } from '../http2/stream-observer.js';
import { createFlowAssembler } from './assemble-flow.js';
import type { FlowPipeline } from './flow-pipeline.js';
import { createHttpExchangeTracker } from './http-exchange.js';

export interface ObserverHubOptions {
  readonly maxMessageSize: number;
  readonly pipeline: FlowPipeline;
  readonly warn: (line: string) => void;
}

/**
 * The dispatch stage of the observer pipeline. Chooses each stream's protocol layer from its
 * request headers: `application/grpc[+x]` streams go through the gRPC layer and the flow
 * assembler (one item per envelope), every other stream becomes one plain-HTTP exchange item.
 */
export function createObserverHub(options: ObserverHubOptions): OpenStreamObserver {
  const { pipeline, warn } = options;
  return (streamId, requestHeaders, control, connection, upstream) => {
    if (isGrpcContentType(findHeader(requestHeaders, 'content-type'))) {
      const layer = createGrpcStream({ maxMessageSize: options.maxMessageSize });
      const flow = createFlowAssembler(pipeline.decoder, connection, upstream);
      return {
        onUpstream: (info) => flow.setUpstream(info),
        onEvent(event) {
          if (layer.finished) return;
          const result = layer.push(event);
          for (const line of result.warnings) warn(line);
          for (const envelope of result.envelopes) pipeline.publish(flow.assemble(envelope));
          if (result.reset) {
            warn(`stream ${streamId}: ${result.reset.reason}; resetting it`);
            control.reset(result.reset.http2Code, result.reset.reason);
          }
        },
      };
    }
    const tracker = createHttpExchangeTracker(streamId, requestHeaders, connection, upstream);
    return {
      onUpstream: (info) => tracker.setUpstream(info),
      onEvent(event) {
        const exchange = tracker.push(event);
        if (exchange) pipeline.publish({ kind: 'http', exchange });
      },
    };
  };
}
