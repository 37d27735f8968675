import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_STREAM_WINDOW_BYTES,
} from '../http2/session-settings.js';
import { FilterError } from '../filter/filter-error.js';
import { parseFilter } from '../filter/parse-filter.js';
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
  /** The flow store: an SQLite file or a `postgres://` URL; null for `--store none`. */
  readonly store: string | null;
  /** Body bytes a plain HTTP exchange keeps per direction for the flow store (true size beyond). */
  readonly storeMaxBody: number;
  /** Retention: the oldest flows are deleted past this store size / age (null: no limit). */
  readonly storeMaxSize: number | null;
  readonly storeMaxAgeMs: number | null;
  /** `--filter`: what the stdout tail shows (the store and `--record` keep everything). */
  readonly filter: string | null;
  /** `-v`: headers, metadata and trailers in the text tail. */
  readonly verbose: boolean;
  /** Credential header values unmasked in the text tail. */
  readonly showSecrets: boolean;
}

export type ExportFormat = 'ndjson' | 'har' | 'grpcurl';

/** `grpctap flows`, `show` and `export`: they read a store the proxy wrote. */
export interface StoreCommandOptions {
  readonly store: string;
  /** The filter (positional words joined, or `--filter`); empty matches every flow. */
  readonly filter: string;
  /** `flows`: the newest N (default 50; with `--follow`, the newest N before following). */
  readonly limit: number;
  readonly json: boolean;
  readonly follow: boolean;
  /** `show`: the flow id or a unique prefix of it. */
  readonly flow: string;
  readonly format: ExportFormat;
  /** `export -o FILE`; null writes to stdout. */
  readonly out: string | null;
  /** `show`: credential header values unmasked. */
  readonly showSecrets: boolean;
}

export type StoreCommandKind = 'flows' | 'show' | 'export';

export type ParsedCommand =
  | { readonly kind: 'proxy'; readonly options: ProxyOptions }
  | { readonly kind: StoreCommandKind; readonly options: StoreCommandOptions }
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
  store: ['value', 'a file, a postgres:// URL or none'],
  'store-max-body': ['value', 'a size such as 1MiB, 64KiB or 0'],
  'store-max-size': ['value', 'a size such as 512MiB or 2GiB'],
  'store-max-age': ['value', 'a duration such as 30m, 12h or 7d'],
  filter: ['value', 'a filter expression (docs/filters.md)'],
  limit: ['value', `an integer from 1 to ${MAX_INT31}`],
  json: ['switch', '1, 0, true or false'],
  follow: ['switch', '1, 0, true or false'],
  format: ['value', 'ndjson, har or grpcurl'],
  out: ['value', 'a file'],
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

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `30s`, `500ms`, `2m`, `12h`, `7d`, or plain seconds into milliseconds. */
export function parseDuration(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

/** The default store, in the working directory. */
export const DEFAULT_STORE = 'grpctap.db';

/** Flags only the store commands take, and which of them. */
const COMMAND_FLAGS: Readonly<Partial<Record<FlagName, readonly StoreCommandKind[]>>> = {
  limit: ['flows'],
  json: ['flows', 'show'],
  follow: ['flows'],
  format: ['export'],
  out: ['export'],
};

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
  const tokens = tokenizeArgv(argv, ARITY, { '-h': 'help', '-v': 'verbose', '-o': 'out' });
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
  if (command === 'flows' || command === 'show' || command === 'export') {
    return parseStoreCommand(command, extra, tokens, flags);
  }
  if (command !== undefined) {
    const message = `unknown command ${JSON.stringify(command)}; see grpctap --help`;
    return { kind: 'error', message };
  }
  const misplaced = commandFlagGiven(tokens, null);
  if (misplaced !== null) return { kind: 'error', message: misplaced };
  const options = readProxyOptions(flags, certsDir);
  if (flags.error === null && options.filter !== null) {
    try {
      parseFilter(options.filter);
    } catch (error) {
      if (error instanceof FilterError) return { kind: 'error', message: `--${error.message}` };
      throw error;
    }
  }
  return flags.error === null
    ? { kind: 'proxy', options }
    : { kind: 'error', message: flags.error };
}

/** The usage error for a command-only flag given where it does not belong, or null. */
function commandFlagGiven(tokens: TokenizedArgv, command: StoreCommandKind | null): string | null {
  for (const [flag, commands] of Object.entries(COMMAND_FLAGS)) {
    if (!tokens.values.has(flag) || (command !== null && commands.includes(command))) continue;
    const where = commands.map((name) => `grpctap ${name}`).join(' and ');
    return `--${flag} is only for ${where}; see grpctap --help`;
  }
  return null;
}

function parseStoreCommand(
  command: StoreCommandKind,
  words: readonly string[],
  tokens: TokenizedArgv,
  flags: ReturnType<typeof createFlagReader>,
): ParsedCommand {
  const misplaced = commandFlagGiven(tokens, command);
  if (misplaced !== null) return { kind: 'error', message: misplaced };
  const store = flags.text('store') ?? DEFAULT_STORE;
  if (store === 'none') {
    return {
      kind: 'error',
      message: `${command}: --store none keeps no flows to read; give a store file or URL`,
    };
  }
  let flow = '';
  let filterWords = words;
  if (command === 'show') {
    if (words.length !== 1 || words[0] === '') {
      const message =
        words.length === 0 || words[0] === ''
          ? 'show: expected a flow id (or a unique prefix of one); see grpctap flows'
          : `show: unexpected argument ${JSON.stringify(words[1])}; see grpctap --help`;
      return { kind: 'error', message };
    }
    flow = words[0] ?? '';
    filterWords = [];
  }
  const parts = [flags.text('filter'), filterWords.length > 0 ? filterWords.join(' ') : null];
  const present = parts.filter((part): part is string => part !== null);
  const options: StoreCommandOptions = {
    store,
    filter: present.length === 2 ? `(${present[0]}) and (${present[1]})` : (present[0] ?? ''),
    limit: flags.read('limit', 50, parseInteger, {
      accepts: (value) => value >= 1 && value <= MAX_INT31,
      expected: FLAGS.limit[1],
    }),
    json: flags.boolean('json'),
    follow: flags.boolean('follow'),
    flow,
    format: flags.read<ExportFormat>('format', 'ndjson', (value) =>
      value === 'ndjson' || value === 'har' || value === 'grpcurl' ? value : null,
    ),
    out: flags.text('out'),
    showSecrets: flags.boolean('show-secrets'),
  };
  return flags.error === null
    ? { kind: command, options }
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
    store:
      flags.read<string | null>('store', DEFAULT_STORE, (value) =>
        value === '' ? null : value === 'none' ? '' : value,
      ) || null,
    storeMaxSize: flags.read<number | null>('store-max-size', null, parseByteSize, {
      accepts: (bytes) => bytes !== null && bytes >= 1024 * 1024,
      expected: 'a size of at least 1MiB',
    }),
    storeMaxAgeMs: flags.read<number | null>('store-max-age', null, parseDuration, {
      accepts: (ms) => ms !== null && ms >= 1000,
      expected: 'a duration of at least 1s',
    }),
    storeMaxBody: size(
      'store-max-body',
      DEFAULT_STORE_MAX_BODY,
      0,
      MAX_MESSAGE_SIZE_LIMIT,
      'a size from 0 to 4GiB',
    ),
    filter: flags.text('filter'),
    verbose: flags.boolean('verbose'),
    showSecrets: flags.boolean('show-secrets'),
  };
}
