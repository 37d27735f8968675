/**
 * Headers, metadata and trailers for `--verbose`: one line each, in wire order, names as sent,
 * secrets masked and binary metadata shown as base64 with its decoded size.
 */
import type { HeaderList } from '../http2/channel-event.js';

/** Header names whose values are credentials; compared in lower case. See docs/output.md. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
  'x-csrf-token',
  'x-xsrf-token',
]);

/** Any name with one of these words (between dashes or ends) is a secret too, e.g. `x-session-token`. */
const SECRET_WORD = /(?:^|[-_])(?:token|secret|password|passwd|credentials?|api-?key)(?:$|[-_])/;

/** Masked text: the value's size survives, so `(0 bytes)` and truncated tokens still show. */
const MASK = '••••';

/** Base64 characters of a `-bin` value shown before `…`. */
const BIN_PREVIEW_CHARS = 48;

export interface HeaderLineOptions {
  /** `--show-secrets`: print credential values as sent. */
  readonly showSecrets: boolean;
}

/** True when `name`'s value is a credential the tail masks. */
export function isSecretHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || SECRET_WORD.test(lower);
}

function masked(value: string): string {
  return `${MASK}(${Buffer.byteLength(value)} bytes)`;
}

/** `name=••••(n bytes)` for a `cookie` pair or the first pair of a `set-cookie`. */
function maskCookiePair(pair: string): string {
  const equals = pair.indexOf('=');
  if (equals < 0) return masked(pair);
  return `${pair.slice(0, equals + 1)}${masked(pair.slice(equals + 1))}`;
}

/**
 * The value of `name` as the tail prints it. Authorization schemes (`Bearer`, `Basic`) and cookie
 * names stay readable, because which credential was sent is what a debugging user asks first; the
 * credential itself becomes `••••(N bytes)`. `set-cookie` attributes (`Path`, `HttpOnly`) stay.
 */
export function maskHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +(.*)$/s.exec(value);
    return scheme === null
      ? masked(value)
      : `${scheme[1] as string} ${masked(scheme[2] as string)}`;
  }
  if (lower === 'cookie') {
    return value
      .split(';')
      .map((pair) => maskCookiePair(pair.trim()))
      .join('; ');
  }
  if (lower === 'set-cookie') {
    const semicolon = value.indexOf(';');
    if (semicolon < 0) return maskCookiePair(value);
    return `${maskCookiePair(value.slice(0, semicolon))}${value.slice(semicolon)}`;
  }
  return masked(value);
}

/** C0 and C1 control characters and DEL. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/** Control characters as `\xNN`, so a peer's header cannot drive the terminal. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A `-bin` value (base64 on the wire, padded or not) as `base64 (N bytes)`, long ones cut. */
function formatBinary(value: string): string {
  const bytes = Buffer.from(value, 'base64').byteLength;
  const shown = value.length > BIN_PREVIEW_CHARS ? `${value.slice(0, BIN_PREVIEW_CHARS)}…` : value;
  return `${shown} (${bytes} bytes)`;
}

/** The shown value of one header. */
export function formatHeaderValue(name: string, value: string, options: HeaderLineOptions): string {
  if (!options.showSecrets && isSecretHeader(name))
    return escapeControls(maskHeaderValue(name, value));
  if (name.toLowerCase().endsWith('-bin')) return escapeControls(formatBinary(value));
  return escapeControls(value);
}

/**
 * One `PREFIX name: value` line per header, in list order, each ending in `\n`; empty for an
 * empty list. `prefix` is the indentation and direction, e.g. `    → `.
 */
export function formatHeaderLines(
  headers: HeaderList,
  prefix: string,
  options: HeaderLineOptions,
): string {
  let text = '';
  for (const [name, value] of headers) {
    text += `${prefix}${escapeControls(name)}: ${formatHeaderValue(name, value, options)}\n`;
  }
  return text;
}
