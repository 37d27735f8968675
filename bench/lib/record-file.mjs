/**
 * Checks on grpctap's NDJSON outputs: proof that the gRPC layer saw every call. Counting scans for
 * fixed byte patterns (grpctap writes `JSON.stringify` output, so `"event":"flow"` has no spaces)
 * rather than parsing hundreds of MiB of JSON.
 */
import { closeSync, openSync, readSync, statSync, truncateSync } from 'node:fs';
import { createRequire } from 'node:module';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const PATTERNS = {
  starts: Buffer.from('"event":"start"'),
  data: Buffer.from('"event":"data"'),
  ends: Buffer.from('"event":"end"'),
  flows: Buffer.from('"event":"flow"'),
  okEnds: Buffer.from('"status":0,"statusName":"OK"'),
};
const CHUNK_BYTES = 8 << 20;
const OVERLAP = 64;

function sizeOf(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Resolves once `read()` has given the same value for `quietMs`, or after `timeoutMs`. */
async function waitUntilSteady(read, quietMs, timeoutMs) {
  const start = performance.now();
  let value = read();
  let since = performance.now();
  while (performance.now() - start < timeoutMs) {
    await sleep(50);
    const now = read();
    if (now !== value) {
      value = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return value;
  }
  return value;
}

/** Resolves once `file` has not grown for `quietMs` (grpctap writes asynchronously). */
export function waitUntilStill(file, quietMs = 300, timeoutMs = 15_000) {
  return waitUntilSteady(() => sizeOf(file), quietMs, timeoutMs);
}

/** Occurrences of each pattern; `lines` counts `\n`. Reads the file in 8 MiB chunks. */
export function countRecords(file) {
  const counts = { bytes: 0, lines: 0, starts: 0, data: 0, ends: 0, flows: 0, okEnds: 0 };
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return counts;
  }
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES + OVERLAP);
  let carry = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, carry, CHUNK_BYTES, null);
      if (read === 0) break;
      counts.bytes += read;
      const end = carry + read;
      const view = buffer.subarray(0, end);
      for (const key of ['starts', 'data', 'ends', 'flows', 'okEnds']) {
        const pattern = PATTERNS[key];
        // A match that starts in the carried-over tail was counted in the previous chunk.
        let at = view.indexOf(pattern, 0);
        while (at !== -1) {
          if (at + pattern.length > carry) counts[key] += 1;
          at = view.indexOf(pattern, at + 1);
        }
      }
      for (let at = view.indexOf(10, carry); at !== -1; at = view.indexOf(10, at + 1)) {
        counts.lines += 1;
      }
      carry = Math.min(OVERLAP, end);
      buffer.copy(buffer, 0, end - carry, end);
    }
  } finally {
    closeSync(fd);
  }
  return counts;
}

/** Empties the outputs between measurements (grpctap appends, so it keeps writing at offset 0). */
export function truncateFiles(files) {
  for (const file of files) {
    try {
      truncateSync(file, 0);
    } catch {
      // Not created yet.
    }
  }
}

/**
 * The flow store of the `grpctap-store` target, read with better-sqlite3 beside the proxy (WAL:
 * reading never blocks its writer). Counts are taken over what was stored since the last reset,
 * in the same shape as `countRecords`, so the same checks apply.
 */
const require = createRequire(import.meta.url);

function openStore(file) {
  const Database = require('better-sqlite3');
  return new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
}

function storeMark(file) {
  let db;
  try {
    db = openStore(file);
    return Number(db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get().id);
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/** Resolves once no event has been stored for `quietMs` (the store thread commits in batches). */
export function waitUntilStoreStill(file, quietMs = 300, timeoutMs = 15_000) {
  return waitUntilSteady(() => storeMark(file), quietMs, timeoutMs);
}

const storeBases = new Map();

/** What the store holds since the last `resetStoreCounts`, as `countRecords` counts a file. */
export function countStore(file) {
  const base = storeBases.get(file) ?? 0;
  const db = openStore(file);
  try {
    const count = (sql) => Number(db.prepare(sql).get(base).n);
    return {
      bytes: statSync(file).size + sizeOf(`${file}-wal`),
      lines: count('SELECT COUNT(*) AS n FROM events WHERE id > ?'),
      starts: count("SELECT COUNT(*) AS n FROM events WHERE id > ? AND kind = 'start'"),
      data: count("SELECT COUNT(*) AS n FROM events WHERE id > ? AND kind = 'data'"),
      ends: count("SELECT COUNT(*) AS n FROM events WHERE id > ? AND kind = 'end'"),
      flows: count("SELECT COUNT(*) AS n FROM events WHERE id > ? AND kind = 'flow'"),
      okEnds: count(
        `SELECT COUNT(*) AS n FROM flows WHERE status = 0 AND state = 'complete' AND id IN (SELECT flow_id FROM events WHERE id > ? AND kind = 'flow')`,
      ),
    };
  } finally {
    db.close();
  }
}

/** Starts counting afresh from what the store holds now (the rows stay). */
export function resetStoreCounts(file) {
  storeBases.set(file, storeMark(file));
}

/** Waits for a grpctap target's outputs to settle: its record file, or its store. */
export function settleOutputs(files) {
  return files.store ? waitUntilStoreStill(files.store) : waitUntilStill(files.record);
}

export function countOutputs(files) {
  return files.store ? countStore(files.store) : countRecords(files.record);
}

export function resetOutputs(files) {
  if (files.store) {
    resetStoreCounts(files.store);
    truncateFiles([files.tail]);
  } else {
    truncateFiles([files.record, files.tail]);
  }
}
