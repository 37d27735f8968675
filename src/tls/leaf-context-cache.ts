import type { SecureContext } from 'node:tls';
import { LRUCache } from 'lru-cache';
import { createKeyedContextPool } from './keyed-context-pool.js';
import type { LeafMinter } from './leaf-minter.js';
import { normalizeHost } from './normalize-host.js';

/** Default number of hosts whose secure context is kept. */
export const DEFAULT_LEAF_CONTEXT_CACHE_MAX = 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LeafContextCache {
  /**
   * Returns the TLS secure context serving the leaf certificate for `host`, minting it on first
   * use. Hosts are normalised (lower case, no trailing dot, no IPv6 brackets) so spellings of one
   * host share one entry. Concurrent calls for one host share one mint.
   * Rejects when the host cannot be minted for; the failure is not cached.
   */
  get(host: string): Promise<SecureContext>;
  /** Number of hosts currently cached (including mints in progress). */
  readonly size: number;
}

export interface LeafContextCacheOptions {
  /** Most hosts kept; the least recently used is evicted first. Default 1000. */
  readonly max?: number;
}

/**
 * Creates an LRU cache of per-host `SecureContext`s backed by `minter`.
 *
 * The cache holds promises, so handshakes for the same host arriving together mint once. Entries
 * expire after half the leaf validity, so a long-running proxy never serves an expired leaf. The
 * context carries the leaf only, not the CA: the CA is a trust anchor clients must already hold,
 * and RFC 8446 §4.4.2 lets the server omit it, saving about 1 KB per handshake. Contexts come
 * from a {@link createKeyedContextPool} holding the minter's shared key, so a new host's context
 * costs only its certificate.
 */
export function createLeafContextCache(
  minter: LeafMinter,
  options: LeafContextCacheOptions = {},
): LeafContextCache {
  const contexts = createKeyedContextPool(minter.keyPem);
  const cache = new LRUCache<string, Promise<SecureContext>>({
    max: options.max ?? DEFAULT_LEAF_CONTEXT_CACHE_MAX,
    ttl: Math.max(1, Math.floor((minter.validityDays * DAY_MS) / 2)),
  });
  return {
    get(host: string): Promise<SecureContext> {
      const key = normalizeHost(host);
      const cached = cache.get(key);
      if (cached !== undefined) {
        return cached;
      }
      const pending = Promise.resolve().then(() => {
        const leaf = minter.mint(key);
        return contexts.create(leaf.certPem);
      });
      cache.set(key, pending);
      pending.catch(() => {
        if (cache.peek(key) === pending) {
          cache.delete(key);
        }
      });
      return pending;
    },
    get size(): number {
      return cache.size;
    },
  };
}
