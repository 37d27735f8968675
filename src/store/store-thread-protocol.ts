import type { RetentionLimits } from './sql-writer.js';
import type { EncodedBatch } from './store-batch.js';

/** What the store thread is started with (`workerData`). */
export interface StoreThreadData {
  readonly location: string;
  readonly origin: string;
  readonly limits: RetentionLimits;
}

/** From the proxy to the store thread. */
export type ToStoreThread =
  | { readonly type: 'batch'; readonly batch: EncodedBatch; readonly bytes: number }
  | { readonly type: 'close' };

/** From the store thread to the proxy. */
export type FromStoreThread =
  | { readonly type: 'ready' }
  /** A batch is committed: its bytes leave the sink's queue. */
  | { readonly type: 'ack'; readonly bytes: number }
  /** The store failed (open or write): recording into it stops, forwarding goes on. */
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'closed' };
