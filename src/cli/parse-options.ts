import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_STREAM_WINDOW_BYTES,
} from '../http2/session-settings.js';
import { parseReverseUrl } from '../listener/proxy-mode.js';
import { type FlagArity, type TokenizedArgv, tokenizeArgv } from './tokenize-argv.js';

export type OutputFormat = 'text' | 'json';

/** Everything `grpctap` (the proxy command) is told on its command line and environment. */
export interface ProxyOptions {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly certsDir: string;
  readonly output: OutputFormat;
  readonly record: string | null;
  readonly upstreamInsecure: boolean;
  readonly upstreamCa: readonly string[];
  readonly maxMessageSize: number;
  readonly reverse: string | null;
  readonly proto: readonly string[];
  readonly protoPath: readonly string[];
  readonly descriptorSet: readonly string[];
  readonly reflect: boolean;
  readonly proxyAuth: string | null;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** Concurrent streams per client HTTP/2 connection. */
  readonly maxStreams: number;
  /** Per-stream HTTP/2 receive window in bytes (both sides). */
  readonly streamWindow: number;
  /** Body bytes a plain HTTP exchange keeps per direction for the flow store (true size beyond). */
  readonly storeMaxBody: number;
  /** `-v`: headers, metadata and trailers in the text tail. */
  readonly verbose: boolean;
  /** Credential header values unmasked in the text tail. */
  readonly showSecrets: boolean;
}

export type ParsedCommand =
  | { readonly kind: 'proxy'; readonly options: ProxyOptions }
  | { readonly kind: 'ca'; readonly certsDir: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/** 254 MiB: above gRPC's usual 4 MiB default yet below what a 32-bit length prefix allows. */
export const DEFAULT_MAX_MESSAGE_SIZE = 254 * 1024 * 1024;

/** 1 MiB: enough for the JSON, HTML and form bodies people read, small next to a window. */
export const DEFAULT_STORE_MAX_BODY = 1024 * 1024;

/** Largest `--max-message-size`: the 4-byte gRPC length prefix cannot declare more. */
export const MAX_MESSAGE_SIZE_LIMIT = 4 * 1024 ** 3;
/** Longest timeout: 24 days, below the 2^31-1 ms that Node's timers can hold. */
export const MAX_TIMEOUT_MS = 24 * 24 * 60 * 60 * 1000;
const MAX_INT31 = 2 ** 31 - 1;

/** Every flag, and what its value must look like (said in usage errors: `expected ...`). */
const FLAGS = {
  listen: ['value', 'HOST:PORT, [IPV6]:PORT or PORT, with PORT from 0 to 65535'],
  'certs-dir': ['value', 'a directory'],
  output: ['value', 'text or json'],
  record: ['value', 'a file'],
  'upstream-insecure': ['switch', '1, 0, true or false'],
  'upstream-ca': ['value', 'a PEM file'],
  'max-message-size': ['value', 'a size such as 4MiB, 64KiB or 1048576'],
  reverse: ['value', 'https://HOST:PORT or http://HOST:PORT'],
  proto: ['value', 'a .proto file or a directory'],
  'proto-path': ['value', 'a directory'],
  'descriptor-set': ['value', 'a FileDescriptorSet file'],
  reflect: ['switch', '1, 0, true or false'],
  'proxy-auth': ['value', 'USER:PASSWORD'],
  'handshake-timeout': ['value', 'a duration such as 10s, 500ms or 2m'],
  'idle-timeout': ['value', 'a duration such as 10s, 500ms or 2m'],
  'max-connections': ['value', `an integer from 1 to ${MAX_INT31}`],
  'max-streams': ['value', `an integer from 1 to ${MAX_INT31}`],
  'stream-window': ['value', 'a size such as 1MiB, 256KiB or 65535'],
  'store-max-body': ['value', 'a size such as 1MiB, 64KiB or 0'],
  verbose: ['switch', '1, 0, true or false'],
  'show-secrets': ['switch', '1, 0, true or false'],
  help: ['switch', ''],
  version: ['switch', ''],
} as const satisfies Record<string, readonly [FlagArity, string]>;

type FlagName = keyof typeof FLAGS;

const ARITY = Object.fromEntries(
  Object.entries(FLAGS).map(([name, [arity]]) => [name, arity]),
) as Record<FlagName, FlagArity>;

/** Flags the proxy never echoes back in an error. */
const SECRET_FLAGS: ReadonlySet<FlagName> = new Set(['proxy-auth']);

/** `GRPCTAP_` + the flag name in upper case with `-` as `_` (e.g. `GRPCTAP_LISTEN`). */
export function envName(flag: string): string {
  return `GRPCTAP_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** Parses `123`, `64KiB`, `4MiB`, `1GiB` (also `k`, `m`, `g`; binary multiples) into bytes. */
export function parseByteSize(value: string): number | null {
  const match = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!match) return null;
  const unit = (match[2] ?? '').toLowerCase()[0];
  const scale = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(match[1]) * scale;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Parses `30s`, `500ms`, `2m`, or plain seconds into milliseconds. */
export function parseDuration(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(value.trim());
  if (!match) return null;
  const unit = match[2] ?? 's';
  const ms = Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** Parses `HOST:PORT`, `[v6]:PORT` or `PORT` (on 127.0.0.1). */
export function parseListen(value: string): { host: string; port: number } | null {
  const match =
    /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value.trim()) ?? /^()()(\d+)$/.exec(value.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

function parseInteger(value: string): number | null {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

function parseBoolean(value: string): boolean | null {
  const lower = value.trim().toLowerCase();
  return lower === '1' || lower === 'true'
    ? true
    : lower === '0' || lower === 'false'
      ? false
      : null;
}

/** A value as given: on the command line (`env` null) or in the named environment variable. */
interface Given {
  readonly value: string;
  readonly env: string | null;
}

/**
 * Reads flags the same way for every type, remembering the first usage error:
 * `--FLAG: expected WHAT (got "VALUE")`, with ` from GRPCTAP_FLAG` when the value came from the
 * environment. Secret values are never repeated.
 */
function createFlagReader(tokens: TokenizedArgv, env: NodeJS.ProcessEnv) {
  let error: string | null = null;
  const fail = (flag: FlagName, given: Given, expected: string = FLAGS[flag][1]): void => {
    const shown = SECRET_FLAGS.has(flag)
      ? 'a value that is not shown'
      : JSON.stringify(given.value);
    error ??= `--${flag}: expected ${expected} (got ${shown}${given.env ? ` from ${given.env}` : ''})`;
  };
  const given = (flag: FlagName): Given | undefined => {
    const values = tokens.values.get(flag);
    const last = values?.[values.length - 1];
    if (last !== undefined) return { value: last, env: null };
    const raw = env[envName(flag)];
    return raw === undefined || raw === '' ? undefined : { value: raw, env: envName(flag) };
  };
  /** The flag's value through `parse`, or `fallback` when absent (or wrong: then `error` is set). */
  const read = <T>(
    flag: FlagName,
    fallback: T,
    parse: (value: string) => T | null,
    range?: { readonly accepts: (value: T) => boolean; readonly expected: string },
  ): T => {
    const found = given(flag);
    if (found === undefined) return fallback;
    const parsed = parse(found.value);
    if (parsed === null) fail(flag, found);
    else if (range && !range.accepts(parsed)) fail(flag, found, range.expected);
    else return parsed;
    return fallback;
  };
  return {
    get error() {
      return error;
    },
    read,
    text: (flag: FlagName): string | null =>
      read<string | null>(flag, null, (value) => (value === '' ? null : value)),
    list(flag: FlagName): string[] {
      const values = tokens.values.get(flag);
      if (values !== undefined) {
        for (const value of values) if (value === '') fail(flag, { value, env: null });
        return [...values];
      }
      const raw = env[envName(flag)] ?? '';
      return raw
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
    },
    boolean: (flag: FlagName): boolean => read(flag, false, parseBoolean),
  };
}

/** Parses the command line; flags win over their `GRPCTAP_*` environment variables. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  const tokens = tokenizeArgv(argv, ARITY, { '-h': 'help', '-v': 'verbose' });
  if (tokens.values.has('help')) return { kind: 'help' };
  if (tokens.values.has('version')) return { kind: 'version' };
  const { problem } = tokens;
  if (problem?.kind === 'unknownOption') {
    return { kind: 'error', message: `unknown option ${problem.option}; see grpctap --help` };
  }
  if (problem?.kind === 'missingValue') {
    const flag = problem.flag as FlagName;
    return { kind: 'error', message: `--${flag}: expected ${FLAGS[flag][1]} (got nothing)` };
  }
  const flags = createFlagReader(tokens, env);
  const certsDir = flags.text('certs-dir') ?? 'certs';
  const [command, ...extra] = tokens.positionals;
  if (command === 'ca') {
    if (extra.length > 0) {
      const message = `ca: unexpected argument ${JSON.stringify(extra[0])}; see grpctap --help`;
      return { kind: 'error', message };
    }
    return flags.error === null
      ? { kind: 'ca', certsDir }
      : { kind: 'error', message: flags.error };
  }
  if (command !== undefined) {
    const message = `unknown command ${JSON.stringify(command)}; see grpctap --help`;
    return { kind: 'error', message };
  }
  const options = readProxyOptions(flags, certsDir);
  return flags.error === null
    ? { kind: 'proxy', options }
    : { kind: 'error', message: flags.error };
}

function readProxyOptions(
  flags: ReturnType<typeof createFlagReader>,
  certsDir: string,
): ProxyOptions {
  const listen = flags.read('listen', { host: '127.0.0.1', port: 8080 }, parseListen);
  const output = flags.read<OutputFormat>('output', 'text', (value) =>
    value === 'text' || value === 'json' ? value : null,
  );
  const reverse = flags.read<string | null>('reverse', null, (value) =>
    parseReverseUrl(value) === null ? null : value,
  );
  const proxyAuth = flags.read<string | null>('proxy-auth', null, (value) =>
    value.includes(':') ? value : null,
  );
  const size = (flag: FlagName, fallback: number, min: number, max: number, expected: string) =>
    flags.read(flag, fallback, parseByteSize, {
      accepts: (bytes) => bytes >= min && bytes <= max,
      expected,
    });
  const duration = (flag: FlagName, fallback: number, min: number, expected: string) =>
    flags.read(flag, fallback, parseDuration, {
      accepts: (ms) => ms >= min && ms <= MAX_TIMEOUT_MS,
      expected,
    });
  const integer = (flag: FlagName, fallback: number) =>
    flags.read(flag, fallback, parseInteger, {
      accepts: (value) => value >= 1 && value <= MAX_INT31,
      expected: FLAGS[flag][1],
    });
  return {
    listenHost: listen.host,
    listenPort: listen.port,
    certsDir,
    output,
    record: flags.text('record'),
    upstreamInsecure: flags.boolean('upstream-insecure'),
    upstreamCa: flags.list('upstream-ca'),
    maxMessageSize: size(
      'max-message-size',
      DEFAULT_MAX_MESSAGE_SIZE,
      1,
      MAX_MESSAGE_SIZE_LIMIT,
      'a size from 1 byte to 4GiB',
    ),
    reverse,
    proto: flags.list('proto'),
    protoPath: flags.list('proto-path'),
    descriptorSet: flags.list('descriptor-set'),
    reflect: flags.boolean('reflect'),
    proxyAuth,
    handshakeTimeoutMs: duration('handshake-timeout', 10_000, 1, 'a duration from 1ms to 34560m'),
    idleTimeoutMs: duration('idle-timeout', 300_000, 0, 'a duration from 0 (never) to 34560m'),
    maxConnections: integer('max-connections', 10_000),
    maxStreams: integer('max-streams', DEFAULT_MAX_CONCURRENT_STREAMS),
    streamWindow: size(
      'stream-window',
      DEFAULT_STREAM_WINDOW_BYTES,
      65_535,
      MAX_INT31,
      'a size from 65535 to 2147483647 bytes',
    ),
    storeMaxBody: size(
      'store-max-body',
      DEFAULT_STORE_MAX_BODY,
      0,
      MAX_MESSAGE_SIZE_LIMIT,
      'a size from 0 to 4GiB',
    ),
    verbose: flags.boolean('verbose'),
    showSecrets: flags.boolean('show-secrets'),
  };
}
