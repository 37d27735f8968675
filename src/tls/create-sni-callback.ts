import type { SecureContext } from 'node:tls';
import type { LeafContextCache } from './leaf-context-cache.js';

/** The shape of `tls` server `SNICallback`. */
export type SniCallback = (
  servername: string,
  callback: (error: Error | null, context?: SecureContext) => void,
) => void;

/**
 * Adapts a {@link LeafContextCache} to the `SNICallback` option of `tls.createServer` and
 * `new tls.TLSSocket({ isServer: true })`. Node only calls it when the client sends SNI; clients
 * without SNI (IP targets) get the socket's own `secureContext`, which the listener mints for the
 * CONNECT host.
 */
export function createSniCallback(cache: LeafContextCache): SniCallback {
  return (servername, callback) => {
    cache.get(servername).then(
      (context) => callback(null, context),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
