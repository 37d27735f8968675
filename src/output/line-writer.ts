import type { Writable } from 'node:stream';

export interface LineWriter {
  /**
   * Queues one line with its `\n`, as text or as UTF-8 bytes the caller no longer changes (so
   * several writers can share them). Never blocks and never throws.
   */
  write(line: string | Uint8Array): void;
  /** Ends the stream and resolves once everything queued has been handed to the OS. */
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
}

/**
 * Writes lines to a stream without ever holding up the caller: observers run on the forwarding
 * path's tail and must not wait for a slow terminal, pipe or disk. Memory stays bounded by
 * `maxQueuedBytes`.
 *
 * The lines of one event-loop turn go out together: the stream is corked at the first of them and
 * uncorked in the check phase, so a file gets one `writev` per turn instead of one write (and one
 * thread-pool round trip) per line; a unary call alone makes six records.
 */
export function createLineWriter(stream: Writable, options: LineWriterOptions): LineWriter {
  let failed = false;
  let dropped = 0;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.on('error', (error: Error) => {
    if (failed) return;
    failed = true;
    options.onError(error);
  });
  return {
    write(line) {
      if (failed) return;
      if (stream.writableLength > options.maxQueuedBytes) {
        if (dropped === 0) options.onDrop?.();
        dropped += 1;
        return;
      }
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      stream.write(line);
    },
    close() {
      if (failed || stream.writableFinished) return Promise.resolve();
      return new Promise((resolve) => {
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      });
    },
    get dropped() {
      return dropped;
    },
  };
}
