export interface RepeatedLineThrottleOptions {
  /**
   * Length of a window (ms): repeats are counted until the window that saw the first copy closes,
   * so for at most this long.
   */
  readonly windowMs: number;
  /** Most distinct lines held back at once; past that, lines are written as they come. */
  readonly maxTracked: number;
}

export interface RepeatedLineThrottle {
  /** Writes `line`, or counts it when the same line was written less than a window ago. */
  log(line: string): void;
  /** Writes the counts still held back and stops the timer (at shutdown). */
  flush(): void;
}

/**
 * Keeps a burst of identical log lines (the same refused request, again and again) from flooding
 * stderr: the first is written at once, repeats are only counted, and when the window closes one
 * line says how many there were. Nothing is lost but the copies.
 */
export function createRepeatedLineThrottle(
  write: (line: string) => void,
  options: RepeatedLineThrottleOptions,
): RepeatedLineThrottle {
  /** Lines written in the current window and their repeats since. */
  const held = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;

  const closeWindow = (): void => {
    timer = null;
    const seconds = options.windowMs / 1000;
    for (const [line, repeats] of held) {
      if (repeats > 0) write(`${line} (${repeats} more times in ${seconds} s)`);
    }
    held.clear();
  };

  return {
    log(line) {
      const repeats = held.get(line);
      if (repeats !== undefined) {
        held.set(line, repeats + 1);
        return;
      }
      write(line);
      if (held.size >= options.maxTracked) return;
      held.set(line, 0);
      if (timer === null) {
        timer = setTimeout(closeWindow, options.windowMs);
        timer.unref();
      }
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      closeWindow();
    },
  };
}
