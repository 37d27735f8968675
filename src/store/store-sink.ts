import { Worker } from 'node:worker_threads';
import type { FlowItem, FlowSink } from '../flow/flow-sink.js';
import { createGapTracker } from '../flow/gap-tracker.js';
import { encodeGapLine } from '../output/record-line.js';
import { isPostgresUrl } from './redact-url.js';
import type { RetentionLimits } from './sql-writer.js';
import { StoreError } from './store-error.js';
import type { StoreOp } from './store-op.js';
import type { FromStoreThread, StoreThreadData, ToStoreThread } from './store-thread-protocol.js';
import { encodeBatch } from './store-batch.js';
import { opSize, toStoreOp } from './to-store-op.js';

export interface StoreSinkOptions {
  /** An SQLite file path or a `postgres://` URL. */
  readonly location: string;
  /** Who records: `hostname/pid`, stored with every flow (`origin`). */
  readonly origin: string;
  readonly limits: RetentionLimits;
  /** Most bytes sent to the store thread and not yet committed before messages are dropped. */
  readonly maxQueuedBytes: number;
  /** stderr. */
  readonly log: (line: string) => void;
}

export interface StoreSink extends FlowSink {
  /** What is still not committed, for the shutdown report; null when nothing is. */
  unflushed(): string | null;
}

/** A batch goes to the store thread after this long, or sooner once it holds `BATCH_BYTES`. */
const BATCH_DELAY_MS = 20;
const BATCH_BYTES = 1024 * 1024;

/**
 * The flow store sink: turns items into store ops on the observing path (a copy of each
 * message's bytes, JSON of its decoded view) and sends them in batches to the store thread,
 * which commits each batch in one transaction. Bytes sent and not yet committed are capped:
 * past the cap, messages are dropped (their flows still start and end, counting what they lost
 * in `lost_events`), and once the queue has drained to half the cap a `gap` record says how many
 * were lost and when. Resolves once the store is open; rejects with a `StoreError` when it
 * cannot be.
 */
export async function createStoreSink(options: StoreSinkOptions): Promise<StoreSink> {
  const workerData: StoreThreadData = {
    location: options.location,
    origin: options.origin,
    limits: options.limits,
  };
  const worker = new Worker(new URL('./store-thread.js', import.meta.url), { workerData });
  let failed: string | null = null;
  let closed: (() => void) | null = null;
  let queued = 0;
  let batch: StoreOp[] = [];
  let batchBytes = 0;
  let timer: NodeJS.Timeout | null = null;
  const gaps = createGapTracker('store');
  const lostByFlow = new Map<string, number>();
  const { maxQueuedBytes } = options;
  const keepAllViews = isPostgresUrl(options.location);

  const post = (message: ToStoreThread, transferList: ArrayBuffer[] = []): void => {
    worker.postMessage(message, transferList);
  };
  const flush = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (batch.length === 0 || failed !== null) return;
    const encoded = encodeBatch(batch);
    post({ type: 'batch', batch: encoded, bytes: batchBytes }, [encoded.bytes]);
    batch = [];
    batchBytes = 0;
  };
  const enqueue = (op: StoreOp, size: number): void => {
    batch.push(op);
    batchBytes += size;
    queued += size;
    if (batchBytes >= BATCH_BYTES) flush();
    else timer ??= setTimeout(flush, BATCH_DELAY_MS);
  };
  const reportGap = (): void => {
    const notice = gaps.take(Date.now());
    if (notice === null) return;
    const line = encodeGapLine(notice).slice(0, -1);
    enqueue({ op: 'record', kind: 'gap', time: notice.time, line }, 128 + line.length);
    for (const [flowId, count] of lostByFlow) enqueue({ op: 'lost', flowId, count }, 64);
    lostByFlow.clear();
  };

  let opened = false;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromStoreThread) => {
      switch (message.type) {
        case 'ready':
          opened = true;
          resolve();
          return;
        case 'ack':
          queued -= message.bytes;
          if (gaps.pending && queued <= maxQueuedBytes / 2) reportGap();
          return;
        case 'error':
          if (failed === null) {
            failed = message.message;
            // Before the store opened, the start fails with this error; after, the proxy goes on.
            if (opened)
              options.log(`store: ${message.message}; storing stopped, forwarding goes on`);
            else reject(new StoreError(message.message));
          }
          return;
        case 'closed':
          closed?.();
          return;
      }
    });
    worker.on('error', (error) => {
      failed ??= error.message;
      reject(error);
      options.log(`store thread failed: ${error.stack ?? error.message}`);
      closed?.();
    });
    worker.on('exit', () => closed?.());
  });
  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  // While running, the store thread never keeps the process alive by itself; `close` refs it.
  worker.unref();

  return {
    name: 'store',
    needs: { httpBodies: true },
    accept(item: FlowItem) {
      if (failed !== null) return;
      const op = toStoreOp(item, keepAllViews);
      const size = opSize(op);
      // Messages give way first; starts, ends and summaries only far past the cap, so flows stay
      // whole and say what they lost.
      const limit = op.op === 'grpcData' || op.op === 'http' ? maxQueuedBytes : maxQueuedBytes * 2;
      if (queued + size > limit) {
        gaps.drop(size, Date.now());
        if ('flowId' in op) lostByFlow.set(op.flowId, (lostByFlow.get(op.flowId) ?? 0) + 1);
        return;
      }
      enqueue(op, size);
    },
    async close() {
      if (failed !== null) {
        await worker.terminate();
        return;
      }
      reportGap();
      flush();
      // Until the store thread has committed everything, it keeps the process alive.
      worker.ref();
      const done = new Promise<void>((resolve) => {
        closed = resolve;
      });
      post({ type: 'close' });
      await done;
      await worker.terminate();
    },
    unflushed() {
      if (failed !== null || queued <= 0) return null;
      return `store: ${queued} byte${queued === 1 ? '' : 's'} not yet committed`;
    },
  };
}
