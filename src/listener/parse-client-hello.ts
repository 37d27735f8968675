import { isDnsName, MAX_DNS_NAME_LENGTH } from '../tls/is-dns-name.js';

/** What {@link parseClientHello} found in the bytes so far. */
export type ClientHelloResult =
  | {
      readonly kind: 'complete';
      /** The SNI host_name, or null when the client sent none (IP targets, old clients). */
      readonly serverName: string | null;
      /** ALPN protocols in the client's order; empty when the extension is absent. */
      readonly alpnProtocols: string[];
      /** Bytes of input taken by the TLS records that carry the ClientHello. */
      readonly length: number;
    }
  | { readonly kind: 'needMore' }
  | { readonly kind: 'malformed'; readonly reason: string };

export interface ParseClientHelloOptions {
  /** Most bytes the records carrying the ClientHello may take; default 64 KiB. */
  readonly maxBytes?: number;
}

/** Default bound on the ClientHello records, in bytes. */
export const DEFAULT_CLIENT_HELLO_MAX_BYTES = 64 * 1024;

const RECORD_HEADER_LENGTH = 5;
const HANDSHAKE_HEADER_LENGTH = 4;
/** TLSPlaintext.length must not exceed 2^14 (RFC 8446 §5.1). */
const MAX_RECORD_PAYLOAD = 2 ** 14;
const CONTENT_TYPE_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;

const EXTENSION_SERVER_NAME = 0;
const EXTENSION_ALPN = 16;
const NAME_TYPE_HOST_NAME = 0;
const MAX_SESSION_ID_LENGTH = 32;

const NEED_MORE = { kind: 'needMore' } as const;

/**
 * Reads the server name (SNI, RFC 6066 §3) and ALPN list (RFC 7301 §3.1) from the ClientHello at
 * the start of `bytes`, which must begin with a TLS record.
 *
 * Stateless: call again with all bytes received so far until the answer is not `needMore`. The
 * ClientHello may span several handshake records (RFC 8446 §5.1); the records it needs must fit
 * in `maxBytes`, which the caller can therefore use as its buffer limit. Every length field is
 * checked against the bytes present; bad input gives `malformed` and never throws.
 */
export function parseClientHello(
  bytes: Uint8Array,
  options: ParseClientHelloOptions = {},
): ClientHelloResult {
  const maxBytes = options.maxBytes ?? DEFAULT_CLIENT_HELLO_MAX_BYTES;
  const fragments: Uint8Array[] = [];
  let assembled = 0;
  let messageLength: number | null = null;
  let offset = 0;
  for (;;) {
    if (messageLength !== null && assembled >= HANDSHAKE_HEADER_LENGTH + messageLength) {
      return finish(concat(fragments, assembled), messageLength, offset);
    }
    if (offset + RECORD_HEADER_LENGTH > bytes.length) {
      return offset >= maxBytes ? tooLarge(maxBytes) : NEED_MORE;
    }
    const type = bytes[offset] ?? 0;
    const major = bytes[offset + 1] ?? 0;
    const recordLength = ((bytes[offset + 3] ?? 0) << 8) | (bytes[offset + 4] ?? 0);
    if (type !== CONTENT_TYPE_HANDSHAKE) {
      return malformed(`expected a handshake record, got content type ${type}`);
    }
    if (major !== 0x03) {
      return malformed(`unsupported record version ${major}.${bytes[offset + 2] ?? 0}`);
    }
    if (recordLength === 0 || recordLength > MAX_RECORD_PAYLOAD) {
      return malformed(`invalid record length ${recordLength}`);
    }
    const recordEnd = offset + RECORD_HEADER_LENGTH + recordLength;
    if (recordEnd > maxBytes) {
      return tooLarge(maxBytes);
    }
    if (recordEnd > bytes.length) {
      return NEED_MORE;
    }
    const payload = bytes.subarray(offset + RECORD_HEADER_LENGTH, recordEnd);
    fragments.push(payload);
    assembled += payload.length;
    offset = recordEnd;
    if (messageLength === null && assembled >= HANDSHAKE_HEADER_LENGTH) {
      const header = concat(fragments, HANDSHAKE_HEADER_LENGTH);
      if (header[0] !== HANDSHAKE_CLIENT_HELLO) {
        return malformed(`expected a ClientHello, got handshake type ${header[0] ?? 0}`);
      }
      messageLength = ((header[1] ?? 0) << 16) | ((header[2] ?? 0) << 8) | (header[3] ?? 0);
      if (HANDSHAKE_HEADER_LENGTH + messageLength > maxBytes) {
        return tooLarge(maxBytes);
      }
    }
  }
}

function finish(message: Uint8Array, messageLength: number, length: number): ClientHelloResult {
  const end = HANDSHAKE_HEADER_LENGTH + messageLength;
  if (message.length > end) {
    return malformed('bytes follow the ClientHello in its last record');
  }
  const body = readClientHelloBody(message.subarray(HANDSHAKE_HEADER_LENGTH, end));
  if (typeof body === 'string') {
    return malformed(body);
  }
  if (body.serverName !== null && !isDnsName(body.serverName)) {
    return malformed('server_name is not a DNS host name');
  }
  return {
    kind: 'complete',
    serverName: body.serverName,
    alpnProtocols: body.alpnProtocols,
    length,
  };
}

/** Joins the first `length` bytes of `parts` (the common single-record case copies nothing). */
function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const first = parts[0];
  if (first !== undefined && first.length >= length) {
    return first.subarray(0, length);
  }
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    if (offset >= length) {
      break;
    }
    const take = part.subarray(0, length - offset);
    joined.set(take, offset);
    offset += take.length;
  }
  return joined;
}

function tooLarge(maxBytes: number): ClientHelloResult {
  return malformed(`ClientHello records exceed ${maxBytes} bytes`);
}

function malformed(reason: string): ClientHelloResult {
  return { kind: 'malformed', reason };
}

interface ClientHelloBody {
  readonly serverName: string | null;
  readonly alpnProtocols: string[];
}

/** Reads big-endian fields from a byte range, refusing to read past its end. */
class Cursor {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Reads an unsigned integer of `size` bytes, or null when fewer remain. */
  readUint(size: 1 | 2): number | null {
    if (this.remaining < size) {
      return null;
    }
    const value =
      size === 1
        ? (this.bytes[this.offset] ?? 0)
        : ((this.bytes[this.offset] ?? 0) << 8) | (this.bytes[this.offset + 1] ?? 0);
    this.offset += size;
    return value;
  }

  /** Reads `length` bytes, or null when fewer remain. */
  readBytes(length: number): Uint8Array | null {
    if (this.remaining < length) {
      return null;
    }
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** Reads a vector whose length prefix is `size` bytes (RFC 8446 §3.4), or null. */
  readVector(size: 1 | 2): Uint8Array | null {
    const length = this.readUint(size);
    return length === null ? null : this.readBytes(length);
  }
}

/**
 * Parses a ClientHello body (RFC 8446 §4.1.2, also valid for TLS 1.0 to 1.2 hellos).
 * @returns the fields we need, or the reason it is malformed.
 */
function readClientHelloBody(body: Uint8Array): ClientHelloBody | string {
  const cursor = new Cursor(body);
  if (cursor.readBytes(2 + 32) === null) {
    return 'truncated version or random';
  }
  const sessionId = cursor.readVector(1);
  if (sessionId === null || sessionId.length > MAX_SESSION_ID_LENGTH) {
    return 'invalid legacy_session_id';
  }
  const cipherSuites = cursor.readVector(2);
  if (cipherSuites === null || cipherSuites.length < 2 || cipherSuites.length % 2 !== 0) {
    return 'invalid cipher_suites';
  }
  const compressionMethods = cursor.readVector(1);
  if (compressionMethods === null || compressionMethods.length < 1) {
    return 'invalid legacy_compression_methods';
  }
  if (cursor.remaining === 0) {
    return { serverName: null, alpnProtocols: [] };
  }
  const extensions = cursor.readVector(2);
  if (extensions === null || cursor.remaining !== 0) {
    return 'extensions length does not match the ClientHello length';
  }
  return readExtensions(new Cursor(extensions));
}

function readExtensions(cursor: Cursor): ClientHelloBody | string {
  let serverName: string | null = null;
  let alpnProtocols: string[] = [];
  const seen = new Set<number>();
  while (cursor.remaining > 0) {
    const type = cursor.readUint(2);
    const data = cursor.readVector(2);
    if (type === null || data === null) {
      return 'truncated extension';
    }
    if (seen.has(type)) {
      return `duplicate extension ${type}`;
    }
    seen.add(type);
    if (type === EXTENSION_SERVER_NAME) {
      const name = readServerName(new Cursor(data));
      if (typeof name !== 'string' && name !== null) {
        return name.error;
      }
      serverName = name;
    } else if (type === EXTENSION_ALPN) {
      const protocols = readAlpn(new Cursor(data));
      if (typeof protocols === 'string') {
        return protocols;
      }
      alpnProtocols = protocols;
    }
  }
  return { serverName, alpnProtocols };
}

/** Reads the host_name of a server_name extension (RFC 6066 §3); null when it holds none. */
function readServerName(cursor: Cursor): string | null | { error: string } {
  const list = cursor.readVector(2);
  if (list === null || cursor.remaining !== 0) {
    return { error: 'server_name list length does not match the extension' };
  }
  const entries = new Cursor(list);
  let hostName: string | null = null;
  while (entries.remaining > 0) {
    const nameType = entries.readUint(1);
    const name = entries.readVector(2);
    if (nameType === null || name === null || name.length === 0) {
      return { error: 'truncated server_name entry' };
    }
    if (nameType === NAME_TYPE_HOST_NAME) {
      if (hostName !== null) {
        return { error: 'more than one host_name in server_name' };
      }
      if (name.length > MAX_DNS_NAME_LENGTH) {
        return { error: 'server_name host_name is too long' };
      }
      hostName = decodeLatin1(name);
    }
  }
  return hostName;
}

/** Reads the protocol names of an ALPN extension (RFC 7301 §3.1). */
function readAlpn(cursor: Cursor): string[] | string {
  const list = cursor.readVector(2);
  if (list === null || list.length === 0 || cursor.remaining !== 0) {
    return 'ALPN list length does not match the extension';
  }
  const entries = new Cursor(list);
  const protocols: string[] = [];
  while (entries.remaining > 0) {
    const name = entries.readVector(1);
    if (name === null || name.length === 0) {
      return 'empty or truncated ALPN protocol name';
    }
    protocols.push(decodeLatin1(name));
  }
  return protocols;
}

/** Decodes one byte per character, so no input byte is lost or replaced. */
function decodeLatin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
