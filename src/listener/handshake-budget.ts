/**
 * The time a new connection (or a CONNECT tunnel, from its `200`) has to become useful, under
 * `--handshake-timeout`: show its first bytes, finish TLS, and send a complete first HTTP/1.1
 * request head, together. Time the proxy spends waiting on the upstream (learning its ALPN) is
 * not the client's and does not count: the budget is paused meanwhile.
 */
export interface HandshakeBudget {
  /** The whole budget (ms), for messages. */
  readonly totalMs: number;
  /** What is left (ms, whole, never negative). */
  remainingMs(): number;
  /** Stops the clock until {@link resume}. */
  pause(): void;
  resume(): void;
}

/** Starts a budget of `totalMs` now; `now` is a monotonic clock in ms (injectable for tests). */
export function createHandshakeBudget(
  totalMs: number,
  now: () => number = () => performance.now(),
): HandshakeBudget {
  let spent = 0;
  let runningSince: number | null = now();
  return {
    totalMs,
    remainingMs() {
      const elapsed = spent + (runningSince === null ? 0 : now() - runningSince);
      return Math.max(0, Math.ceil(totalMs - elapsed));
    },
    pause() {
      if (runningSince === null) return;
      spent += now() - runningSince;
      runningSince = null;
    },
    resume() {
      runningSince ??= now();
    },
  };
}
