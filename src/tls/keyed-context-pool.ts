import { createSecureContext, type SecureContext } from 'node:tls';

/** Contexts kept ready by default: enough for a burst of new hosts arriving together. */
export const DEFAULT_KEYED_CONTEXT_POOL_SIZE = 4;

/** The native half of a `SecureContext`; `setCert` is what `createSecureContext` itself calls. */
interface NativeContext {
  setCert?: (cert: string) => void;
}

export interface KeyedContextPool {
  /**
   * A secure context serving `certPem` with the pool's key. Takes a context whose key is already
   * loaded when one is ready, so only the certificate is parsed on the handshake's path.
   */
  create(certPem: string): SecureContext;
  /** Contexts ready now. */
  readonly ready: number;
}

/**
 * Keeps secure contexts with the shared leaf key already loaded, refilled between events.
 *
 * Every minted leaf uses one key pair, yet `tls.createSecureContext({ cert, key })` parses that
 * key again for each host: with OpenSSL 3 about 0.35 ms of the 0.7 ms a context costs, paid while
 * the client waits for the ServerHello. Loading the key ahead of time, one context per turn of
 * the event loop, leaves only the certificate (about 0.2 ms) on that path. OpenSSL keeps a key set
 * before the certificate when the two match, which they always do here. When the native context
 * lacks `setCert` (another Node version), every context is built whole, as before.
 */
export function createKeyedContextPool(
  keyPem: string,
  size = DEFAULT_KEYED_CONTEXT_POOL_SIZE,
): KeyedContextPool {
  const ready: SecureContext[] = [];
  let refilling = false;
  const supported =
    typeof (createSecureContext().context as NativeContext | undefined)?.setCert === 'function';

  const refill = (): void => {
    refilling = false;
    if (ready.length >= size) return;
    ready.push(createSecureContext({ key: keyPem }));
    scheduleRefill();
  };
  function scheduleRefill(): void {
    if (!supported || refilling || ready.length >= size) return;
    refilling = true;
    setImmediate(refill);
  }
  scheduleRefill();

  return {
    create(certPem) {
      const context = ready.pop();
      if (context === undefined) return createSecureContext({ cert: certPem, key: keyPem });
      (context.context as Required<NativeContext>).setCert(certPem);
      scheduleRefill();
      return context;
    },
    get ready() {
      return ready.length;
    },
  };
}
