import type { HeadersReceived } from '../http2/channel-event.js';
import type { GrpcStart } from './grpc-envelope.js';
import {
  filterHeaders,
  findHeader,
  HEADER_CONTENT_TYPE,
  HEADER_GRPC_ACCEPT_ENCODING,
  HEADER_GRPC_ENCODING,
  HEADER_GRPC_TIMEOUT,
  isPseudoHeader,
} from './grpc-headers.js';

/** What the request headers say about the call; repeated on the response's `start`. */
export interface CallTarget {
  readonly service: string;
  readonly method: string;
  /** The raw `:path`, empty when absent. */
  readonly path: string;
  /** `:authority`, else `host`, else empty. */
  readonly authority: string;
}

/** Header names that have their own `start` field and are therefore not metadata. */
function isReservedHeader(name: string): boolean {
  return (
    isPseudoHeader(name) ||
    name === HEADER_CONTENT_TYPE ||
    name === HEADER_GRPC_ENCODING ||
    name === HEADER_GRPC_ACCEPT_ENCODING ||
    name === HEADER_GRPC_TIMEOUT
  );
}

/**
 * The `start` envelope of a direction, from its initial headers.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests
 */
export function buildStart(event: HeadersReceived, sequence: number, call: CallTarget): GrpcStart {
  const headers = event.headers;
  return {
    kind: 'start',
    flowId: event.streamId,
    time: event.time,
    sequence,
    direction: event.direction,
    service: call.service,
    method: call.method,
    path: call.path,
    authority: call.authority,
    contentType: findHeader(headers, HEADER_CONTENT_TYPE) ?? '',
    encoding: findHeader(headers, HEADER_GRPC_ENCODING) ?? null,
    acceptEncoding: findHeader(headers, HEADER_GRPC_ACCEPT_ENCODING) ?? null,
    timeout: findHeader(headers, HEADER_GRPC_TIMEOUT) ?? null,
    metadata: filterHeaders(headers, isReservedHeader),
    headers,
  };
}
