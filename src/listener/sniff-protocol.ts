/** What the first bytes of a connection or CONNECT tunnel say about its protocol. */
export type SniffResult =
  | { readonly kind: 'tls' }
  | { readonly kind: 'h2c' }
  | { readonly kind: 'http1' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'needMore' };

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const H2C_PREFACE = new TextEncoder().encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Longest request method we recognise, in bytes. No registered method comes close. */
export const MAX_METHOD_LENGTH = 32;

/** Most bytes {@link sniffProtocol} can need before deciding: the full h2c preface. */
export const SNIFF_MAX_BYTES = Math.max(H2C_PREFACE.length, MAX_METHOD_LENGTH + 1);

const TLS_CONTENT_TYPE_HANDSHAKE = 0x16;
const TLS_MAJOR_VERSION = 0x03;
const TLS_MAX_MINOR_VERSION = 0x04;
const SPACE = 0x20;

const NEED_MORE: SniffResult = { kind: 'needMore' };
const TLS: SniffResult = { kind: 'tls' };
const H2C: SniffResult = { kind: 'h2c' };
const HTTP1: SniffResult = { kind: 'http1' };
const UNKNOWN: SniffResult = { kind: 'unknown' };

/**
 * Classifies the first bytes a client sends, so one port can serve TLS, cleartext HTTP/2 with
 * prior knowledge, and HTTP/1.x.
 *
 * - `tls`: a TLS record header for a handshake: content type 22, version 3.0 to 3.4
 *   (RFC 8446 §5.1; SSL 3.0 to TLS 1.3 record versions seen in the wild).
 * - `h2c`: the 24-byte HTTP/2 preface. While the bytes are a prefix of it the answer is
 *   `needMore`, even though `PRI ` alone would also read as an HTTP/1 method.
 * - `http1`: a request method followed by one space (RFC 9112 §3). Methods are accepted in the
 *   realistic subset of RFC 9110 tchar: upper-case letters, `-` and `_`, 1 to 32 characters. That
 *   covers every registered method; lower-case or symbol-laden tokens are legal but no real client
 *   sends them, and Node's HTTP parser rejects them anyway, so they count as `unknown`.
 * - `needMore`: not decidable yet; call again with more bytes (never more than
 *   {@link SNIFF_MAX_BYTES} are needed).
 *
 * Pure: never throws, never keeps state.
 */
export function sniffProtocol(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) {
    return NEED_MORE;
  }
  if (bytes[0] === TLS_CONTENT_TYPE_HANDSHAKE) {
    return sniffTlsRecord(bytes);
  }
  if (isPrefaceStart(bytes)) {
    return bytes.length >= H2C_PREFACE.length ? H2C : NEED_MORE;
  }
  return sniffMethod(bytes);
}

function sniffTlsRecord(bytes: Uint8Array): SniffResult {
  if (bytes.length < 3) {
    return bytes.length < 2 || bytes[1] === TLS_MAJOR_VERSION ? NEED_MORE : UNKNOWN;
  }
  const minor = bytes[2] ?? 0xff;
  return bytes[1] === TLS_MAJOR_VERSION && minor <= TLS_MAX_MINOR_VERSION ? TLS : UNKNOWN;
}

/** True when the bytes so far agree with the h2c preface (as far as either goes). */
function isPrefaceStart(bytes: Uint8Array): boolean {
  const length = Math.min(bytes.length, H2C_PREFACE.length);
  for (let index = 0; index < length; index++) {
    if (bytes[index] !== H2C_PREFACE[index]) {
      return false;
    }
  }
  return true;
}

function sniffMethod(bytes: Uint8Array): SniffResult {
  const limit = Math.min(bytes.length, MAX_METHOD_LENGTH + 1);
  for (let index = 0; index < limit; index++) {
    const byte = bytes[index] ?? 0;
    if (byte === SPACE) {
      return index > 0 ? HTTP1 : UNKNOWN;
    }
    if (!isMethodByte(byte)) {
      return UNKNOWN;
    }
  }
  return bytes.length <= MAX_METHOD_LENGTH ? NEED_MORE : UNKNOWN;
}

/** Upper-case ASCII letters, `-` and `_`: the method characters real clients use. */
function isMethodByte(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || byte === 0x2d || byte === 0x5f;
}
