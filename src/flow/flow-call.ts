import type { GrpcStart } from '../grpc/grpc-envelope.js';

/**
 * The identity of one gRPC call, attached by the flow assembler to every envelope of the call so
 * that no sink keeps a per-flow map. One object per call, shared by all its items.
 */
export interface FlowCall {
  readonly flowId: string;
  /** From `:path`; empty when the path is malformed. */
  readonly service: string;
  readonly method: string;
  /** The raw `:path`. */
  readonly path: string;
  /** The request's `:authority`, else `host`, else empty. */
  readonly authority: string;
  /** `service/method` for people, or the raw path when it is malformed. */
  readonly name: string;
  /** The request's `content-type`. */
  readonly contentType: string;
  /** The messages are protobuf (`application/grpc`, `application/grpc+proto`), not JSON etc. */
  readonly protobuf: boolean;
}

/** The call identity from the request's `start` envelope. */
export function createFlowCall(start: GrpcStart): FlowCall {
  const subtype = /^application\/grpc(?:\+([^;\s]*))?/i.exec(start.contentType)?.[1] ?? 'proto';
  return {
    flowId: start.flowId,
    service: start.service,
    method: start.method,
    path: start.path,
    authority: start.authority,
    name: start.service === '' ? start.path : `${start.service}/${start.method}`,
    contentType: start.contentType,
    protobuf: subtype.toLowerCase() === 'proto',
  };
}
