import { parseByteSize } from '../cli/parse-options.js';
import type { NumberField, TextField } from './filter-ast.js';

/** gRPC status names, as `status=NOT_FOUND` takes them (any case). */
const STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `100ms`, `2s`, `1.5m`, `3h`, `1d`, `250us`; a bare number is milliseconds. */
export function parseFilterDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(text);
  if (match === null) return null;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? 'ms'] ?? 1);
}

/** Allowed values of the enumerated text fields. */
export const ENUMERATED: Readonly<Partial<Record<TextField, readonly string[]>>> = {
  state: ['active', 'complete', 'error'],
  type: ['unary', 'stream', 'bidirectional'],
  protocol: ['grpc', 'http'],
};

/**
 * The number a numeric field is compared with, or a phrase saying what was expected. `time`
 * takes an ISO 8601 date or date-time (UTC unless it says otherwise), or `-DURATION` for that
 * long before `now`.
 */
export function parseNumberValue(
  field: NumberField,
  text: string,
  now: number,
): number | { readonly expected: string } {
  switch (field) {
    case 'status': {
      if (/^\d+$/.test(text)) return Number(text);
      const code = STATUS_CODES[text.toUpperCase()];
      return code ?? { expected: 'a status number or a gRPC status name such as NOT_FOUND' };
    }
    case 'duration':
      return parseFilterDuration(text) ?? { expected: 'a duration such as 100ms, 2s or 1m' };
    case 'size':
      return parseByteSize(text) ?? { expected: 'a size such as 512, 64KiB or 1MiB' };
    case 'messages':
      return /^\d+$/.test(text) ? Number(text) : { expected: 'a whole number of messages' };
    case 'time': {
      if (text.startsWith('-')) {
        const ago = parseFilterDuration(text.slice(1));
        if (ago !== null) return now - ago;
      } else if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
        const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || text.length === 10 ? text : `${text}Z`;
        const time = Date.parse(iso);
        if (!Number.isNaN(time)) return time;
      }
      return {
        expected: 'an ISO 8601 time such as 2026-12-07T10:00:00Z, or -DURATION such as -10m',
      };
    }
  }
}
