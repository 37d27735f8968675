import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { HTTP2_CANCEL } from './map-error.js';

export interface SuperviseClientSessionOptions {
  /** Closes the session (GOAWAY NO_ERROR) after this long with no open stream (ms); 0 disables. */
  readonly idleTimeoutMs: number;
  /**
   * After this long without any frame either way the client gets a PING, and it has this long
   * again to answer it (ms); 0 disables.
   */
  readonly pingTimeoutMs: number;
  /** `address:port` of the client, for log lines. */
  readonly label: string;
  readonly log: (line: string) => void;
}

/**
 * Client streams reset before any response, per connection, before one log line names the
 * pattern. nghttp2 itself ends the connection past a burst of 1000 such resets
 * (CVE-2023-44487); this only makes the cause visible.
 */
export const EARLY_RESET_LOG_THRESHOLD = 100;

/**
 * Keeps one client HTTP/2 session from holding resources it no longer uses:
 *
 * - idle: no open stream for `idleTimeoutMs` closes it gracefully;
 * - dead: when nghttp2 ends a session on its own after a protocol error (a GOAWAY it sends
 *   itself: a flood, a bad frame), Node stops reading the socket but neither closes it nor tells
 *   us, and the peer may keep it open forever. Such a session, like a peer that vanished, goes
 *   silent; a silent session is sent a PING and destroyed when no acknowledgement comes back.
 *   The deadline is judged only after input waiting in the socket has been read, so a proxy
 *   that was itself stalled past it does not take a live client for a dead one.
 */
export function superviseClientSession(
  session: ServerHttp2Session,
  options: SuperviseClientSessionOptions,
): void {
  const { idleTimeoutMs, pingTimeoutMs, label, log } = options;
  let open = 0;
  let earlyResets = 0;
  let idleTimer: NodeJS.Timeout | null = null;
  let probeDeadline: NodeJS.Timeout | null = null;

  const clearIdle = (): void => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
  };
  const armIdle = (): void => {
    if (idleTimeoutMs <= 0 || idleTimer !== null || session.destroyed) return;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      if (open > 0 || session.destroyed) return;
      log(`client ${label}: no open stream for ${idleTimeoutMs} ms (--idle-timeout); closing`);
      session.close();
    }, idleTimeoutMs);
    idleTimer.unref();
  };

  const probe = (): void => {
    if (session.destroyed || probeDeadline !== null) return;
    let answered = false;
    const deadline = setTimeout(() => {
      // Timers run before I/O in each turn of the event loop: when this process was busy past
      // the deadline (a flood on another connection, a loaded machine), an answer may already
      // be waiting in the socket. Judge the peer only after that I/O has been read.
      setImmediate(() => {
        if (probeDeadline === deadline) probeDeadline = null;
        if (answered || session.destroyed) return;
        log(
          `client ${label}: silent for ${pingTimeoutMs} ms and no answer to a PING within ${pingTimeoutMs} ms (a dead peer, or a connection HTTP/2 already shut down after a protocol error); closing`,
        );
        session.destroy();
      });
    }, pingTimeoutMs);
    deadline.unref();
    probeDeadline = deadline;
    const onAnswer = (error: Error | null): void => {
      if (answered) return;
      answered = true;
      clearTimeout(deadline);
      if (probeDeadline === deadline) probeDeadline = null;
      // Node refreshes the inactivity timer only on some frames; arm it again for the next
      // silence, which might be a session nghttp2 shut down without telling us.
      if (!error && !session.destroyed) session.setTimeout(pingTimeoutMs);
    };
    try {
      if (!session.ping(onAnswer)) session.destroy();
    } catch {
      // Too many PINGs outstanding, or the session is closing: both mean it is past saving.
      session.destroy();
    }
  };

  session.on('stream', (stream: ServerHttp2Stream) => {
    open += 1;
    clearIdle();
    stream.once('close', () => {
      open -= 1;
      // Streams torn down with their session close with CANCEL too; only count the peer's.
      if (stream.rstCode === HTTP2_CANCEL && !stream.headersSent && !session.destroyed) {
        earlyResets += 1;
        if (earlyResets === EARLY_RESET_LOG_THRESHOLD) {
          log(
            `client ${label}: ${EARLY_RESET_LOG_THRESHOLD} streams reset before they were answered (the HTTP/2 rapid-reset pattern if it goes on)`,
          );
        }
      }
      if (open === 0) armIdle();
    });
  });
  session.once('close', () => {
    clearIdle();
    if (probeDeadline !== null) clearTimeout(probeDeadline);
    probeDeadline = null;
  });
  if (pingTimeoutMs > 0) {
    session.on('timeout', probe);
    session.setTimeout(pingTimeoutMs);
  }
  armIdle();
}
