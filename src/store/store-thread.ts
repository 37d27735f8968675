/**
 * The store's worker thread: opens the store, then commits what the proxy sends, batch after
 * batch, each in one transaction, off the forwarding path. Batches that queue up while one is
 * being written are merged into the next transaction, so a slower disk means bigger
 * transactions, not more of them. Retention runs between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStoreConnection } from './open-store-connection.js';
import { decodeBatch } from './store-batch.js';
import { redactStoreLocation } from './redact-url.js';
import type { SqlConnection } from './sql-connection.js';
import { createSqlWriter, type SqlWriter } from './sql-writer.js';
import { StoreError } from './store-error.js';
import type { StoreOp } from './store-op.js';
import type { FromStoreThread, StoreThreadData, ToStoreThread } from './store-thread-protocol.js';

/** How often retention looks at the store's size and age. */
const PRUNE_INTERVAL_MS = 2000;

const port = parentPort;
if (port === null) throw new Error('store-thread runs as a worker thread');
const data = workerData as StoreThreadData;
const send = (message: FromStoreThread): void => port.postMessage(message);

let connection: SqlConnection | null = null;
let writer: SqlWriter | null = null;
let failed = false;
const pending: { ops: readonly StoreOp[]; bytes: number }[] = [];
let closing = false;
let busy = false;
let lastPrune = 0;
const pruning = data.limits.maxAgeMs !== null || data.limits.maxSizeBytes !== null;

function fail(error: unknown): void {
  if (failed) return;
  failed = true;
  const text = (error as Error).message ?? String(error);
  // A StoreError already names the store; anything else (a failed write) gets its name here.
  const message =
    error instanceof StoreError ? text : `${redactStoreLocation(data.location)}: ${text}`;
  send({ type: 'error', message });
}

async function drain(): Promise<void> {
  if (busy || writer === null) return;
  busy = true;
  try {
    while (pending.length > 0) {
      const batches = pending.splice(0, pending.length);
      const bytes = batches.reduce((sum, batch) => sum + batch.bytes, 0);
      if (!failed) {
        try {
          await writer.write(
            batches.length === 1 ? (batches[0]?.ops ?? []) : batches.flatMap((batch) => batch.ops),
          );
        } catch (error) {
          fail(error);
        }
      }
      send({ type: 'ack', bytes });
      const now = Date.now();
      if (pruning && !failed && now - lastPrune >= PRUNE_INTERVAL_MS) {
        lastPrune = now;
        await writer.prune(now).catch(fail);
      }
    }
    if (closing) await finish();
  } finally {
    busy = false;
  }
}

async function finish(): Promise<void> {
  if (pruning && writer !== null && !failed) await writer.prune(Date.now()).catch(fail);
  await connection?.close().catch(() => undefined);
  connection = null;
  send({ type: 'closed' });
}

port.on('message', (message: ToStoreThread) => {
  if (message.type === 'batch')
    pending.push({ ops: decodeBatch(message.batch), bytes: message.bytes });
  else closing = true;
  void drain();
});

const timer = setInterval(() => {
  if (pruning && !busy && writer !== null && !failed) {
    busy = true;
    lastPrune = Date.now();
    void writer
      .prune(lastPrune)
      .catch(fail)
      .finally(() => {
        busy = false;
        void drain();
      });
  }
}, PRUNE_INTERVAL_MS);
timer.unref();

try {
  connection = await openStoreConnection(data.location, true);
  writer = createSqlWriter(connection, data.origin, data.limits);
  send({ type: 'ready' });
  void drain();
} catch (error) {
  fail(error);
  // Nothing can be stored: every batch is acknowledged (dropped) from here on.
  writer = { write: () => Promise.resolve(), prune: () => Promise.resolve(0) };
  void drain();
}
