import type { GrpcEnvelope } from '../grpc/grpc-envelope.js';
import { createGrpcStream } from '../grpc/grpc-stream.js';
import { isGrpcContentType } from '../grpc/is-grpc-content-type.js';
import { findHeader } from '../http2/header-list.js';
import type { OpenStreamObserver } from '../http2/stream-observer.js';
import { createHttpExchangeTracker, type HttpExchange } from './http-exchange.js';

/** Where finished observations go (the stdout tail, the record file). */
export interface FlowSink {
  grpc(envelope: GrpcEnvelope): void;
  http(exchange: HttpExchange): void;
}

export interface ObserverHubOptions {
  readonly maxMessageSize: number;
  readonly sink: FlowSink;
  readonly warn: (line: string) => void;
}

/**
 * Chooses each stream's protocol layer from its request headers: `application/grpc[+x]` streams
 * go through the gRPC layer (envelopes), every other stream becomes one plain-HTTP summary.
 */
export function createObserverHub(options: ObserverHubOptions): OpenStreamObserver {
  const { sink, warn } = options;
  return (streamId, requestHeaders, control) => {
    if (isGrpcContentType(findHeader(requestHeaders, 'content-type'))) {
      const layer = createGrpcStream({ maxMessageSize: options.maxMessageSize });
      return {
        onEvent(event) {
          if (layer.finished) return;
          const result = layer.push(event);
          for (const line of result.warnings) warn(line);
          for (const envelope of result.envelopes) sink.grpc(envelope);
          if (result.reset) {
            warn(`stream ${streamId}: ${result.reset.reason}; resetting it`);
            control.reset(result.reset.http2Code, result.reset.reason);
          }
        },
      };
    }
    const tracker = createHttpExchangeTracker(streamId, requestHeaders);
    return {
      onEvent(event) {
        const exchange = tracker.push(event);
        if (exchange) sink.http(exchange);
      },
    };
  };
}
