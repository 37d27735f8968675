/** Service and method named by a gRPC request's `:path`. */
export interface GrpcPath {
  /** Fully qualified service name, e.g. `helloworld.Greeter`. */
  readonly service: string;
  readonly method: string;
}

/**
 * Splits a `:path` of the form `/{service}/{method}`. Returns null when the path is missing, has no
 * leading slash, has not exactly two non-empty segments, or carries a query. The caller keeps the
 * raw path and reports the problem.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests (Path)
 */
export function parseGrpcPath(path: string | undefined): GrpcPath | null {
  if (path === undefined || path.charCodeAt(0) !== 0x2f) return null;
  const slash = path.indexOf('/', 1);
  if (slash <= 1 || slash === path.length - 1) return null;
  if (path.indexOf('/', slash + 1) !== -1 || path.includes('?')) return null;
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}
