import type { FlowType } from './grpc-envelope.js';

/**
 * The shape of a call from its message counts: `unary` with at most one message each way,
 * `bidirectional` with more than one both ways, `stream` otherwise (client or server streaming).
 * Counted from what was observed, not from the service definition, which the proxy does not know.
 */
export function classifyFlowType(requestMessages: number, responseMessages: number): FlowType {
  if (requestMessages <= 1 && responseMessages <= 1) return 'unary';
  if (requestMessages > 1 && responseMessages > 1) return 'bidirectional';
  return 'stream';
}
