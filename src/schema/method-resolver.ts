/**
 * Where schemas come from at run time (gRPC server reflection), for methods the static schema
 * lacks. Lookups are synchronous and never wait: resolution happens in the background and only
 * messages seen after it finished decode with the schema.
 */
import type { SchemaRegistry } from './message-schema.js';

export interface MethodResolver {
  /** What has been resolved so far for `authority` (host[:port]); null when nothing yet. */
  registryFor(authority: string): SchemaRegistry | null;
  /**
   * Starts resolving the fully-qualified `serviceName` on `authority` unless it is resolved, under
   * way, or known to fail. The promise settles when that work is done and never rejects; callers on
   * the data path ignore it.
   */
  request(authority: string, serviceName: string): Promise<void>;
}
