/**
 * HTTP/1.1 message heads written straight to a socket: where Node's server no longer owns the
 * connection (upgrade, CONNECT, parse errors) or has no API for the message (1xx with headers).
 * Strings are latin1, as Node decodes header bytes; write them with the `latin1` encoding.
 */

const CRLF = '\r\n';

/** `METHOD target HTTP/x.y`, the header lines, and the empty line (RFC 9112 §3, §5). */
export function formatRequestHead(
  method: string,
  requestTarget: string,
  httpVersion: string,
  rawHeaders: readonly string[],
): string {
  return `${method} ${requestTarget} HTTP/${httpVersion}${CRLF}${formatFieldLines(rawHeaders)}${CRLF}`;
}

/** `HTTP/1.1 status reason`, the header lines, and the empty line (RFC 9112 §4). */
export function formatResponseHead(
  status: number,
  reason: string,
  rawHeaders: readonly string[],
): string {
  return `HTTP/1.1 ${status} ${reason}${CRLF}${formatFieldLines(rawHeaders)}${CRLF}`;
}

/**
 * A complete response with a UTF-8 plain-text body that closes the connection: what the proxy
 * sends when it answers on a socket it is about to give up. `extraHeaders` is a flat raw array
 * placed first (e.g. `Allow` for a 405).
 */
export function formatPlainResponse(
  status: number,
  reason: string,
  body: string,
  extraHeaders: readonly string[] = [],
): Buffer {
  const content = Buffer.from(body, 'utf8');
  const head = formatResponseHead(status, reason, [
    ...extraHeaders,
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(content.length),
    'Connection',
    'close',
  ]);
  return Buffer.concat([Buffer.from(head, 'latin1'), content]);
}

function formatFieldLines(rawHeaders: readonly string[]): string {
  let lines = '';
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    lines += `${rawHeaders[i]}: ${rawHeaders[i + 1]}${CRLF}`;
  }
  return lines;
}

/** `HTTP/1.1 200`: the bytes that identify a status line; `#` is any digit. */
const STATUS_PREFIX_PATTERN = 'HTTP/#.# ###';
const STATUS_CODE_OFFSET = 9;

/**
 * Reads the status code from the first bytes of a raw response stream, however they are split.
 * `push` returns `undefined` while it needs more bytes, then the code, or null when the stream
 * does not start with an HTTP/1.x status line. It keeps at most 12 bytes.
 */
export interface StatusLineSniffer {
  push(chunk: Uint8Array): number | null | undefined;
}

export function createStatusLineSniffer(): StatusLineSniffer {
  let prefix = '';
  let result: number | null | undefined;
  return {
    push(chunk) {
      if (result !== undefined) return result;
      const wanted = chunk.subarray(0, STATUS_PREFIX_PATTERN.length - prefix.length);
      prefix += Buffer.from(wanted).toString('latin1');
      if (!matchesStatusPrefix(prefix)) result = null;
      else if (prefix.length === STATUS_PREFIX_PATTERN.length) {
        result = Number(prefix.slice(STATUS_CODE_OFFSET));
      }
      return result;
    },
  };
}

function matchesStatusPrefix(prefix: string): boolean {
  for (let i = 0; i < prefix.length; i++) {
    const expected = STATUS_PREFIX_PATTERN[i];
    const actual = prefix.charCodeAt(i);
    const ok = expected === '#' ? actual >= 0x30 && actual <= 0x39 : prefix[i] === expected;
    if (!ok) return false;
  }
  return true;
}
