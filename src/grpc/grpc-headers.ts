/**
 * Header names the gRPC layer reads. HTTP/2 header names arrive lowercase (RFC 9113 §8.2.1), so
 * lookups compare exactly.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */
import type { HeaderList } from '../http2/channel-event.js';

export const HEADER_PATH = ':path';
export const HEADER_AUTHORITY = ':authority';
export const HEADER_STATUS = ':status';
export const HEADER_HOST = 'host';
export const HEADER_CONTENT_TYPE = 'content-type';
export const HEADER_GRPC_ENCODING = 'grpc-encoding';
export const HEADER_GRPC_ACCEPT_ENCODING = 'grpc-accept-encoding';
export const HEADER_GRPC_TIMEOUT = 'grpc-timeout';
export const HEADER_GRPC_STATUS = 'grpc-status';
export const HEADER_GRPC_MESSAGE = 'grpc-message';
export const HEADER_GRPC_STATUS_DETAILS = 'grpc-status-details-bin';

export { findHeader } from '../http2/header-list.js';

/** True for HTTP/2 pseudo-headers (`:path`, `:status`, ...). */
export function isPseudoHeader(name: string): boolean {
  return name.startsWith(':');
}

/** The headers other than those for which `drop` returns true, order and duplicates kept. */
export function filterHeaders(headers: HeaderList, drop: (name: string) => boolean): HeaderList {
  return headers.filter(([name]) => !drop(name));
}
