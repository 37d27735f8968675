import { isDnsName } from '../tls/is-dns-name.js';
import { parseIpAddress } from '../tls/parse-ip-address.js';

/** A parsed CONNECT target. */
export interface Authority {
  /** Lower-case host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  /** TCP port, 1..65535. */
  readonly port: number;
}

const PORT_PATTERN = /^\d{1,5}$/;
const NUMERIC_LABEL_PATTERN = /^(?:0x[0-9a-f]*|\d+)$/i;

/**
 * Parses the authority of a CONNECT request target (RFC 9110 §9.3.6, `host:port`) or of a Host
 * header: `example.com:443`, `192.0.2.1:443`, `[2001:db8::1]:443`.
 *
 * Strict on purpose, since the host is dialled and minted into a certificate: userinfo, spaces,
 * percent-encoding, zone identifiers and any character outside DNS names are rejected; a host whose
 * last label is numeric must be a valid dotted-quad IPv4 address (as in the WHATWG URL host
 * parser, so `1.2.3` or `0x7f.1` cannot reach a resolver that reads them as shorthand IPv4); an
 * IPv6 address needs brackets. A trailing dot on a name is kept, since it is meaningful to DNS;
 * on an IPv4 address it is dropped.
 *
 * @param defaultPort used when the authority has no port (never the case for a valid CONNECT);
 *   without it, a missing port makes the authority invalid.
 * @returns the host and port, or null when `value` is not a valid authority.
 */
export function parseAuthority(value: string, defaultPort?: number): Authority | null {
  const { hostText, portText } = splitAuthority(value);
  if (hostText === null) {
    return null;
  }
  const port = portText === null ? (defaultPort ?? null) : parsePort(portText);
  if (port === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    return null;
  }
  const host = parseHost(hostText);
  return host === null ? null : { host, port };
}

function splitAuthority(value: string): { hostText: string | null; portText: string | null } {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) {
      return { hostText: null, portText: null };
    }
    const rest = value.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      return { hostText: null, portText: null };
    }
    return { hostText: value.slice(0, close + 1), portText: rest === '' ? null : rest.slice(1) };
  }
  const colon = value.lastIndexOf(':');
  if (colon === -1) {
    return { hostText: value, portText: null };
  }
  return { hostText: value.slice(0, colon), portText: value.slice(colon + 1) };
}

function parsePort(text: string): number | null {
  return PORT_PATTERN.test(text) ? Number(text) : null;
}

function parseHost(text: string): string | null {
  const lower = text.toLowerCase();
  if (lower.startsWith('[')) {
    const inner = lower.slice(1, -1);
    return inner.includes(':') && parseIpAddress(inner) !== null ? inner : null;
  }
  const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (!isDnsName(name)) {
    return null;
  }
  const lastLabel = name.slice(name.lastIndexOf('.') + 1);
  if (NUMERIC_LABEL_PATTERN.test(lastLabel)) {
    return parseIpAddress(name) === null ? null : name;
  }
  return lower;
}
