import type { GrpcStart } from '../grpc/grpc-envelope.js';
import type { ConnectionInfo, UpstreamInfo } from '../http2/channel-event.js';

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
  /** The client connection the call arrived on. */
  readonly connection: ConnectionInfo;
  /**
   * Where the call went: the destination from the start, completed with the connection actually
   * made once the upstream stream opened (the assembler updates this one field in place, so an
   * item read later sees it). Null when the call had no destination.
   */
  readonly upstream: UpstreamInfo | null;
}

/** True for the content types whose messages are protobuf: `application/grpc`, `+proto`. */
export function isProtobufContentType(contentType: string): boolean {
  const subtype = /^application\/grpc(?:\+([^;\s]*))?/i.exec(contentType)?.[1] ?? 'proto';
  return subtype.toLowerCase() === 'proto';
}

/** `FlowCall` as the assembler holds it. */
export type MutableFlowCall = { -readonly [K in keyof FlowCall]: FlowCall[K] };

/** The call identity from the request's `start` envelope. */
export function createFlowCall(
  start: GrpcStart,
  connection: ConnectionInfo,
  upstream: UpstreamInfo | null,
): MutableFlowCall {
  return {
    flowId: start.flowId,
    service: start.service,
    method: start.method,
    path: start.path,
    authority: start.authority,
    name: start.service === '' ? start.path : `${start.service}/${start.method}`,
    contentType: start.contentType,
    protobuf: isProtobufContentType(start.contentType),
    connection,
    upstream,
  };
}
