/**
 * Decoding of the `grpc-message` header: percent-encoded UTF-8.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#responses (Status-Message)
 */

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Hex digit value of a UTF-16 code unit, or -1. */
function readHexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes `value` and reads the bytes as UTF-8. The spec forbids failing on bad input:
 * a `%` not followed by two hex digits stays literal, and invalid UTF-8 becomes U+FFFD.
 * Characters up to U+00FF that are not part of an escape count as one byte each, because Node's
 * HTTP/2 binding hands header values over as Latin-1; a server that sends raw UTF-8 instead of
 * escaping it is thereby still read correctly. Wider characters are encoded as UTF-8.
 */
export function decodeGrpcMessage(value: string): string {
  if (!/[%\u0080-\uffff]/.test(value)) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x25 && i + 2 < value.length) {
      const high = readHexDigit(value.charCodeAt(i + 1));
      const low = readHexDigit(value.charCodeAt(i + 2));
      if (high >= 0 && low >= 0) {
        bytes.push((high << 4) | low);
        i += 2;
        continue;
      }
    }
    if (code <= 0xff) {
      bytes.push(code);
    } else {
      const codePoint = value.codePointAt(i) ?? code;
      if (codePoint > 0xffff) i++;
      for (const byte of utf8Encoder.encode(String.fromCodePoint(codePoint))) bytes.push(byte);
    }
  }
  return utf8.decode(Uint8Array.from(bytes));
}
