import { close, constants, createWriteStream, fstatSync, open } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';

const openAsync = promisify(open);
const closeAsync = promisify(close);

/**
 * The stream behind stdout records. A pipe or a socket (`grpctap | jq`, a parent process) is
 * written through the event loop, never from a thread-pool thread: a reader that stops reading
 * then only makes the queue grow, and the process can still exit. Node's exit joins the thread
 * pool, so one thread stuck in `write(2)` on a full pipe would keep the process alive forever
 * after a signal. A file or a terminal is written with `fs` (never blocking the event loop).
 */
export function openStdout(): Writable {
  const stat = fstatSync(1);
  if (stat.isFIFO() || stat.isSocket()) {
    return new net.Socket({ fd: 1, readable: false, writable: true });
  }
  return createWriteStream('', { fd: 1, autoClose: false });
}

/**
 * Opens the `--record` file for appending (created with mode 0600) before anything listens: a
 * path that cannot be opened (a missing directory, no permission) stops start-up instead of losing
 * every record of the session. Write errors later (a full disk) stop recording, never forwarding.
 *
 * The first open is non-blocking, so a FIFO that nobody reads fails at once (`ENXIO`) instead of
 * blocking start-up, and a FIFO with a reader (`--record >(gzip > r.gz)`) is written through the
 * event loop like a stdout pipe (see {@link openStdout}). Anything else is reopened as a plain
 * append stream.
 *
 * @throws Error `--record PATH: REASON` when the file cannot be opened.
 */
export async function openRecordFile(path: string): Promise<Writable> {
  try {
    const fd = await openAsync(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK,
      0o600,
    );
    if (fstatSync(fd).isFIFO()) return new net.Socket({ fd, readable: false, writable: true });
    await closeAsync(fd);
    const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('ready', () => resolve());
      stream.once('error', reject);
    });
    return stream;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENXIO'
        ? 'a FIFO that no process is reading (ENXIO); start its reader first'
        : (error as Error).message;
    throw new Error(`--record ${path}: ${reason}`, { cause: error });
  }
}
