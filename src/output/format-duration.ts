/**
 * Durations for people, one function for every duration and timeout in the text tail, so `12ms`,
 * `1.51s` and `4m05s` read the same wherever they appear.
 */

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;

/** Milliseconds per `grpc-timeout` unit (PROTOCOL-HTTP2.md, "TimeoutUnit"). */
const GRPC_TIMEOUT_UNITS: Readonly<Record<string, number>> = {
  H: MS_PER_HOUR,
  M: MS_PER_MINUTE,
  S: MS_PER_SECOND,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** `value` with at most `decimals` decimals and no trailing zeros: `1.5`, `2`, `9.89`. */
function trimmed(value: number, decimals: number): string {
  return value.toFixed(decimals).replace(/\.?0+$/, '');
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * A duration in milliseconds (fractions allowed) as `850ns`, `850µs`, `12ms`, `1.51s`, `12.5s`,
 * `4m05s`, `2h03m` or `6d21h`: three significant figures at most below a minute, two units above.
 * Each unit is used only where it rounds below the next (999.7 ms is `1s`, not `1000ms`).
 * Negative or non-finite input (a clock that went back, a bug) is shown as `?`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms === 0) return '0ms';
  if (ms < 1e-3 && Math.round(ms * 1e6) < 1000) return `${Math.round(ms * 1e6)}ns`;
  if (ms < 1 && Math.round(ms * 1e3) < 1000) return `${Math.round(ms * 1e3)}µs`;
  if (Math.round(ms) < MS_PER_SECOND) return `${Math.round(ms)}ms`;
  const seconds = ms / MS_PER_SECOND;
  if (seconds < 9.995) return `${trimmed(seconds, 2)}s`;
  if (seconds < 59.95) return `${trimmed(seconds, 1)}s`;
  const wholeSeconds = Math.round(seconds);
  if (wholeSeconds < 3600) {
    return `${Math.floor(wholeSeconds / 60)}m${twoDigits(wholeSeconds % 60)}s`;
  }
  const wholeMinutes = Math.round(ms / MS_PER_MINUTE);
  if (wholeMinutes < 24 * 60) {
    return `${Math.floor(wholeMinutes / 60)}h${twoDigits(wholeMinutes % 60)}m`;
  }
  const wholeHours = Math.round(ms / MS_PER_HOUR);
  return `${Math.floor(wholeHours / 24)}d${twoDigits(wholeHours % 24)}h`;
}

/**
 * A `grpc-timeout` header value (1 to 8 ASCII digits and a unit `H`, `M`, `S`, `m`, `u`, `n`) in
 * milliseconds; null when it does not follow the grammar.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests
 */
export function parseGrpcTimeout(value: string): number | null {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return null;
  return Number(match[1]) * (GRPC_TIMEOUT_UNITS[match[2] as string] as number);
}

/** A `grpc-timeout` as `9.89s`; a value off the grammar is shown as sent, quoted. */
export function formatGrpcTimeout(value: string): string {
  const ms = parseGrpcTimeout(value);
  return ms === null ? JSON.stringify(value) : formatDuration(ms);
}
