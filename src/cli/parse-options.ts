import { parseArgs } from 'node:util';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_STREAM_WINDOW_BYTES,
} from '../http2/session-settings.js';

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
}

export type ParsedCommand =
  | { readonly kind: 'proxy'; readonly options: ProxyOptions }
  | { readonly kind: 'ca'; readonly certsDir: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/** 254 MiB: above gRPC's usual 4 MiB default yet below what a 32-bit length prefix allows. */
export const DEFAULT_MAX_MESSAGE_SIZE = 254 * 1024 * 1024;

const FLAGS = {
  listen: { type: 'string' },
  'certs-dir': { type: 'string' },
  output: { type: 'string' },
  record: { type: 'string' },
  'upstream-insecure': { type: 'boolean' },
  'upstream-ca': { type: 'string', multiple: true },
  'max-message-size': { type: 'string' },
  reverse: { type: 'string' },
  proto: { type: 'string', multiple: true },
  'proto-path': { type: 'string', multiple: true },
  'descriptor-set': { type: 'string', multiple: true },
  reflect: { type: 'boolean' },
  'proxy-auth': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-streams': { type: 'string' },
  'stream-window': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type FlagName = keyof typeof FLAGS;
type FlagValue = string | boolean | string[] | undefined;

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

function fromEnv(flag: FlagName, env: NodeJS.ProcessEnv): FlagValue {
  const raw = env[envName(flag)];
  if (raw === undefined || raw === '') return undefined;
  const spec = FLAGS[flag];
  if (spec.type === 'boolean') return /^(1|true|yes|on)$/i.test(raw);
  if ('multiple' in spec)
    return raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  return raw;
}

/** Parses the command line; flags win over their `GRPCTAP_*` environment variables. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  const values = parsed.values as Partial<Record<FlagName, FlagValue>>;
  const get = (flag: FlagName): FlagValue => values[flag] ?? fromEnv(flag, env);
  const str = (flag: FlagName): string | undefined => get(flag) as string | undefined;
  const list = (flag: FlagName): string[] => (get(flag) as string[] | undefined) ?? [];

  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const certsDir = str('certs-dir') ?? 'certs';
  const [command, ...extra] = parsed.positionals;
  if (command === 'ca') {
    if (extra.length > 0) return { kind: 'error', message: `unexpected argument: ${extra[0]}` };
    return { kind: 'ca', certsDir };
  }
  if (command !== undefined) return { kind: 'error', message: `unknown command: ${command}` };

  const listen = parseListen(str('listen') ?? '127.0.0.1:8080');
  if (!listen) return { kind: 'error', message: `--listen takes HOST:PORT, got ${str('listen')}` };
  const output = str('output') ?? 'text';
  if (output !== 'text' && output !== 'json') {
    return { kind: 'error', message: `--output takes text or json, got ${output}` };
  }
  const maxMessageSize = parseByteSize(str('max-message-size') ?? String(DEFAULT_MAX_MESSAGE_SIZE));
  if (maxMessageSize === null || maxMessageSize < 1) {
    return {
      kind: 'error',
      message: `--max-message-size takes a byte count, got ${str('max-message-size')}`,
    };
  }
  const handshakeTimeoutMs = parseDuration(str('handshake-timeout') ?? '10s');
  const idleTimeoutMs = parseDuration(str('idle-timeout') ?? '300s');
  if (handshakeTimeoutMs === null || idleTimeoutMs === null) {
    return { kind: 'error', message: 'timeouts take a duration such as 10s, 500ms or 2m' };
  }
  const maxConnections = Number(str('max-connections') ?? '10000');
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    return { kind: 'error', message: `--max-connections takes a positive integer` };
  }
  const maxStreams = Number(str('max-streams') ?? String(DEFAULT_MAX_CONCURRENT_STREAMS));
  if (!Number.isInteger(maxStreams) || maxStreams < 1 || maxStreams > 2 ** 31 - 1) {
    return { kind: 'error', message: '--max-streams takes a positive integer' };
  }
  const streamWindow = parseByteSize(str('stream-window') ?? String(DEFAULT_STREAM_WINDOW_BYTES));
  if (streamWindow === null || streamWindow < 65_535 || streamWindow > 2 ** 31 - 1) {
    return { kind: 'error', message: '--stream-window takes a size from 65535 bytes to 2GiB-1' };
  }
  const proxyAuth = str('proxy-auth') ?? null;
  if (proxyAuth !== null && !proxyAuth.includes(':')) {
    return { kind: 'error', message: '--proxy-auth takes USER:PASSWORD' };
  }
  return {
    kind: 'proxy',
    options: {
      listenHost: listen.host,
      listenPort: listen.port,
      certsDir,
      output,
      record: str('record') ?? null,
      upstreamInsecure: (get('upstream-insecure') as boolean | undefined) ?? false,
      upstreamCa: list('upstream-ca'),
      maxMessageSize,
      reverse: str('reverse') ?? null,
      proto: list('proto'),
      protoPath: list('proto-path'),
      descriptorSet: list('descriptor-set'),
      reflect: (get('reflect') as boolean | undefined) ?? false,
      proxyAuth,
      handshakeTimeoutMs,
      idleTimeoutMs,
      maxConnections,
      maxStreams,
      streamWindow,
    },
  };
}
