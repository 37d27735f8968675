import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type JsonRecord = Record<string, unknown>;

/** Bytes read per `readSync`; a record line holding a 1 MiB message is about 2.8 MB. */
const READ_CHUNK_BYTES = 4 << 20;
/** Bytes from the start of the file kept to tell a file that was replaced from one that grew. */
const HEAD_BYTES = 64;

interface FileTail {
  readonly dev: number;
  readonly ino: number;
  head: Buffer;
  /** Bytes of the file read so far. */
  offset: number;
  /** The start of a line whose newline has not been read yet. */
  partial: Buffer[];
  readonly records: JsonRecord[];
}

const tails = new Map<string, FileTail>();

function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
}

function takeLines(tail: FileTail, chunk: Buffer): void {
  let start = 0;
  for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
    const piece = chunk.subarray(start, newline);
    const line = tail.partial.length === 0 ? piece : Buffer.concat([...tail.partial, piece]);
    tail.partial = [];
    if (line.length > 0) tail.records.push(JSON.parse(line.toString('utf8')) as JsonRecord);
    start = newline + 1;
  }
  if (start < chunk.length) tail.partial.push(chunk.subarray(start));
}

/**
 * Every complete record of an NDJSON record file (a missing file reads as none). The proxy may be
 * in the middle of writing a line; what follows the last newline is left for the next read.
 *
 * Record files only grow (the proxy appends), so each call reads and parses only the bytes added
 * since the previous call for the same path. Reading the whole file every poll blocked the test's
 * event loop for seconds once a file held tens of MiB of base64 payloads, long enough for the
 * proxy to take a test's own idle gRPC connection for a dead peer (it must answer a PING within
 * `--handshake-timeout`). A file that was replaced (another inode, shorter, other first bytes) is
 * read again from the start.
 */
export function readRecordFile(path: string): JsonRecord[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    tails.delete(path);
    return [];
  }
  try {
    const { dev, ino, size } = fstatSync(fd);
    let tail = tails.get(path);
    const replaced =
      tail !== undefined &&
      (tail.dev !== dev ||
        tail.ino !== ino ||
        size < tail.offset ||
        !readAt(fd, tail.head.length, 0).equals(tail.head));
    if (tail === undefined || replaced) {
      tail = { dev, ino, head: readAt(fd, HEAD_BYTES, 0), offset: 0, partial: [], records: [] };
      tails.set(path, tail);
    } else if (tail.head.length < HEAD_BYTES && size > tail.head.length) {
      tail.head = readAt(fd, HEAD_BYTES, 0);
    }
    while (tail.offset < size) {
      const chunk = readAt(fd, Math.min(READ_CHUNK_BYTES, size - tail.offset), tail.offset);
      if (chunk.length === 0) break;
      tail.offset += chunk.length;
      takeLines(tail, chunk);
    }
    return tail.records.slice();
  } finally {
    closeSync(fd);
  }
}
