/** What {@link runUntilSignal} runs: started once, stopped on the first SIGINT / SIGTERM. */
export interface StoppableService {
  /** Flushes everything and releases every resource. */
  stop(): Promise<void>;
  /** What is still unflushed, one phrase each; named when the deadline passes. */
  unflushed(): string[];
}

/** Time from the signal to exit, however far the flush got (ms). */
export const SHUTDOWN_DEADLINE_MS = 5000;

export interface RunUntilSignalOptions {
  readonly log: (line: string) => void;
  /** Default {@link SHUTDOWN_DEADLINE_MS}. */
  readonly deadlineMs?: number;
}

/**
 * Starts the service and stops it on SIGINT or SIGTERM; resolves with the exit code.
 *
 * - A signal while `start` is still running (a CA directory on a hung file system, a schema that
 *   takes long to load) exits 1 at once: nothing was served, so nothing can be lost.
 * - A signal once started runs `stop()`: 0 when it finishes within the deadline. Otherwise, or on
 *   a second signal, 1 with one line naming what `unflushed()` reports.
 *
 * The handlers are installed before `start` runs, so a signal right after "listening on" still
 * flushes, and stay installed until this resolves, so a second signal is ours to handle too.
 */
export async function runUntilSignal(
  start: () => Promise<StoppableService>,
  options: RunUntilSignalOptions,
): Promise<number> {
  const { log } = options;
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const received: NodeJS.Signals[] = [];
  const waiters: (() => void)[] = [];
  const onSignal = (signal: NodeJS.Signals): void => {
    received.push(signal);
    for (const wake of waiters.splice(0)) wake();
  };
  const nextSignal = (count: number): Promise<NodeJS.Signals> =>
    new Promise((resolve) => {
      const check = (): void => {
        const signal = received[count - 1];
        if (signal !== undefined) resolve(signal);
        else waiters.push(check);
      };
      check();
    });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await serve(start, nextSignal, log, deadlineMs);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function serve(
  start: () => Promise<StoppableService>,
  nextSignal: (count: number) => Promise<NodeJS.Signals>,
  log: (line: string) => void,
  deadlineMs: number,
): Promise<number> {
  const starting = start();
  const first = await Promise.race([starting, nextSignal(1)]);
  if (typeof first === 'string') {
    starting.catch(() => {});
    log(`${first} during start-up: exiting before listening, nothing was recorded`);
    return 1;
  }
  const service = first;
  const signal = await nextSignal(1);
  log(`${signal}: flushing records and exiting`);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    service.stop().then(() => 'stopped' as const),
    nextSignal(2).then((again) => `was interrupted by a second ${again}`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`did not finish within ${deadlineMs / 1000} s`), deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === 'stopped') return 0;
  const left = service.unflushed();
  const what = left.length > 0 ? left.join('; ') : 'nothing queued, connections still closing';
  log(`${signal}: flushing ${outcome} (${what}); exiting with status 1`);
  return 1;
}
