import type { EventEmitter } from 'node:events';

/**
 * The one set of waiting helpers for every test. Tests wait on events or on bounded polls; a fixed
 * sleep is only for pacing what a test sends (a message every 200 ms), never as an assertion that
 * something has or has not happened by then.
 */

/** Resolves after `ms` milliseconds. For pacing traffic only, not for assertions. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `check` returns true, polled every `intervalMs` (default 20 ms), or rejects after
 * `timeoutMs` (default 10 s) naming `what`. The deadline is generous on purpose: on a loaded
 * machine a poll that passes in 50 ms on a quiet one may take seconds. A check that itself waits
 * (a call, a file read) is awaited before the next poll.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Like `waitUntil`, for a check that yields a value (`undefined` means not yet). */
export async function waitForValue<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `timeoutMs`. */
export function waitForEvent(
  emitter: EventEmitter,
  event: string,
  timeoutMs = 10_000,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    emitter.once(event, onEvent);
  });
}

/** Resolves with `promise`'s outcome, or with `fallback` after `timeoutMs` (timer cleared). */
export async function settleWithin<T, F>(
  promise: Promise<T>,
  timeoutMs: number,
  fallback: F,
): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
