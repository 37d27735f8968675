/**
 * `application/grpc`, optionally with a `+subtype` (`+proto`, `+json`, ...) and parameters, in any
 * letter case. `application/grpc-web*` is a different protocol and does not match.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests (Content-Type)
 */
const GRPC_CONTENT_TYPE = /^\s*application\/grpc(?:\+[^\s;]+)?\s*(?:;.*)?$/is;

/** True when a `content-type` value announces gRPC over HTTP/2; false when absent. */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && GRPC_CONTENT_TYPE.test(value);
}
