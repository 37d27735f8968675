import type { GrpcEnvelope } from '../grpc/grpc-envelope.js';
import { formatGrpcLine } from './format-grpc-line.js';

export interface GrpcLineFormatter {
  /** The line of `envelope` (see `formatGrpcLine`), naming the call on data and end lines too. */
  format(envelope: GrpcEnvelope, decodedPreview?: string): string;
  /** Flows whose `start` was seen and whose `flow` was not yet. */
  readonly openFlows: number;
}

/**
 * A `formatGrpcLine` that remembers each flow's `service/method` from its `start` until its
 * `flow` envelope, so data and end lines can name the call. Memory is one entry per open flow;
 * the gRPC layer ends every flow with a `flow` envelope.
 */
export function createGrpcLineFormatter(options: {
  readonly color: boolean;
  readonly previewBytes?: number;
}): GrpcLineFormatter {
  const calls = new Map<string, string>();
  return {
    format(envelope, decodedPreview) {
      if (envelope.kind === 'start' && envelope.direction === 'send') {
        const name =
          envelope.service === '' ? envelope.path : `${envelope.service}/${envelope.method}`;
        calls.set(envelope.flowId, name);
      }
      const call = calls.get(envelope.flowId);
      if (envelope.kind === 'flow') calls.delete(envelope.flowId);
      return formatGrpcLine(envelope, {
        ...options,
        ...(call === undefined ? {} : { call }),
        ...(decodedPreview === undefined ? {} : { decodedPreview }),
      });
    },
    get openFlows() {
      return calls.size;
    },
  };
}
