import type { Writable } from 'node:stream';
import { createGapTracker, type GapNotice } from '../flow/gap-tracker.js';

export interface LineWriter {
  /**
   * Queues one line with its `\n`, as text or as UTF-8 bytes the caller no longer changes (so
   * several writers can share them). Never blocks and never throws.
   */
  write(line: string | Uint8Array): void;
  /** Writes a pending gap line, ends the stream and resolves once everything queued is out. */
  close(): Promise<void>;
  /** Lines dropped because the queue was over its cap (a reader that cannot keep up). */
  readonly dropped: number;
}

export interface LineWriterOptions {
  /** Most bytes queued before lines are dropped; Infinity never drops. */
  readonly maxQueuedBytes: number;
  /** Called once, on the first write error; later lines are discarded. */
  readonly onError: (error: Error) => void;
  /** Called once when the first line is dropped for the cap. */
  readonly onDrop?: () => void;
  /** Name of the output in gap notices (`tail`, `record`). */
  readonly name?: string;
  /**
   * The line (with its `\n`) that reports lines lost to the cap. It is written ahead of the next
   * line once the queue is under its cap again, when the queue drains, and at `close`, so the
   * output itself says how much is missing and when. Without it the loss is only counted.
   */
  readonly formatGap?: (notice: GapNotice) => string | Uint8Array;
}

/**
 * Writes lines to a stream without ever holding up the caller: observers run on the forwarding
 * path's tail and must not wait for a slow terminal, pipe or disk. Memory stays bounded by
 * `maxQueuedBytes` (plus one line); what the cap drops is reported by a gap line.
 *
 * The lines of one event-loop turn go out together: the stream is corked at the first of them and
 * uncorked in the check phase, so a file gets one `writev` per turn instead of one write (and one
 * thread-pool round trip) per line; a unary call alone makes six records.
 */
export function createLineWriter(stream: Writable, options: LineWriterOptions): LineWriter {
  const { formatGap, maxQueuedBytes } = options;
  const gaps = createGapTracker(options.name ?? 'output');
  let failed = false;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  const writeGap = (): void => {
    const notice = gaps.take(Date.now());
    if (notice !== null && formatGap !== undefined) stream.write(formatGap(notice));
  };
  stream.on('error', (error: Error) => {
    if (failed) return;
    failed = true;
    options.onError(error);
  });
  stream.on('drain', () => {
    if (!failed && gaps.pending) writeGap();
  });
  return {
    write(line) {
      if (failed) return;
      if (stream.writableLength > maxQueuedBytes) {
        if (gaps.totalLost === 0) options.onDrop?.();
        gaps.drop(typeof line === 'string' ? Buffer.byteLength(line) : line.byteLength, Date.now());
        return;
      }
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      if (gaps.pending) writeGap();
      stream.write(line);
    },
    close() {
      if (failed || stream.writableFinished) return Promise.resolve();
      if (gaps.pending) writeGap();
      return new Promise((resolve) => {
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      });
    },
    get dropped() {
      return gaps.totalLost;
    },
  };
}
