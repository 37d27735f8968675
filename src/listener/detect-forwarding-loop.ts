import type { ClassifiedFailure } from '../http2/map-error.js';
import { normalizeHost } from '../tls/normalize-host.js';
import { parseIpAddress } from '../tls/parse-ip-address.js';

/** The stable failure code of a request that would reach the proxy itself (docs/channel.md). */
export const FORWARDING_LOOP = 'FORWARDING_LOOP';

/** RFC 5842 §7.2 "508 Loop Detected": the answer to such a request over plain HTTP. */
export const LOOP_DETECTED_STATUS = 508;

/** An address the proxy listens on, as `server.address()` reports it (or `--listen` gives it). */
export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/** What "one of the proxy's own addresses" means at the moment of a check. */
export interface OwnAddresses {
  readonly listeners: readonly ListenAddress[];
  /**
   * Every address of this machine's interfaces (`os.networkInterfaces()`); they reach a listener
   * bound to the any-address. Loopback addresses need not be listed: 127.0.0.0/8 and ::1 always
   * count.
   */
  readonly interfaceAddresses: readonly string[];
}

type Family = 4 | 6;

/** An IP address in one canonical text form; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4. */
interface CanonicalIp {
  readonly family: Family;
  readonly text: string;
  readonly loopback: boolean;
  readonly unspecified: boolean;
}

/**
 * Reads an IP literal (brackets allowed) into its canonical form, or null for a name. Two texts
 * of one address (`::FFFF:127.0.0.1`, `::ffff:7f00:1`, `127.0.0.1`) give the same `text`.
 */
export function canonicalizeIp(host: string): CanonicalIp | null {
  const bytes = parseIpAddress(normalizeHost(host));
  if (bytes === null) return null;
  const mapped =
    bytes.length === 16 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  if (bytes.length === 4 || mapped) {
    const v4 = bytes.length === 4 ? bytes : bytes.subarray(12);
    return {
      family: 4,
      text: [...v4].join('.'),
      loopback: v4[0] === 127,
      unspecified: v4.every((b) => b === 0),
    };
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  const text = groups.join(':');
  return {
    family: 6,
    text,
    loopback: text === '0:0:0:0:0:0:0:1',
    unspecified: text === '0:0:0:0:0:0:0:0',
  };
}

/** `localhost` and its subdomains always mean loopback (RFC 6761 §6.3). */
function isLocalhostName(host: string): boolean {
  const name = normalizeHost(host);
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Whether a connection to `target` (an IP literal or `localhost`) reaches `listener`. */
function reaches(
  target: CanonicalIp | 'localhost',
  listener: ListenAddress,
  interfaces: readonly CanonicalIp[],
): boolean {
  const bound: CanonicalIp | 'localhost' | null = isLocalhostName(listener.address)
    ? 'localhost'
    : canonicalizeIp(listener.address);
  if (bound === null) return false;
  if (bound === 'localhost' || target === 'localhost') {
    const other = bound === 'localhost' ? target : bound;
    return other === 'localhost' || other.loopback || other.unspecified;
  }
  if (!bound.unspecified) return bound.text === target.text;
  // A listener on 0.0.0.0 takes IPv4 only; one on :: takes both families (Node binds it
  // dual-stack unless told `ipv6Only`).
  if (bound.family === 4 && target.family === 6) return false;
  if (target.loopback || target.unspecified) return true;
  return interfaces.some((address) => address.text === target.text);
}

/**
 * Finds whether connecting to `host:port` would reach one of the proxy's own listeners: the exact
 * listen address, and for an any-address bind (`0.0.0.0`, `::`) every interface address, all of
 * 127.0.0.0/8, ::1, the unspecified address and `localhost`. IPv4-mapped IPv6 counts as IPv4.
 * A name other than `localhost` is not judged here: resolve it and check the addresses it
 * resolves to.
 *
 * @returns the listener reached (`address:port`), or null when `host:port` is not the proxy.
 */
export function detectForwardingLoop(
  host: string,
  port: number,
  own: OwnAddresses,
): ListenAddress | null {
  const target = isLocalhostName(host) ? 'localhost' : canonicalizeIp(host);
  if (target === null) return null;
  let interfaces: CanonicalIp[] | null = null;
  for (const listener of own.listeners) {
    if (listener.port !== port) continue;
    interfaces ??= own.interfaceAddresses
      .map(canonicalizeIp)
      .filter((address): address is CanonicalIp => address !== null);
    if (reaches(target, listener, interfaces)) return listener;
  }
  return null;
}

/** `host:port` with an IPv6 literal bracketed. */
function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const LOOP_REASON = 'the request would loop back into grpctap';

/**
 * The failure of a request whose target is the proxy itself. `resolved` is the address a name
 * resolved to, when the target was a name.
 */
export function ownAddressFailure(
  target: string,
  listener: ListenAddress,
  resolved?: string,
): ClassifiedFailure {
  const bound = formatAddress(listener.address, listener.port);
  const via = resolved === undefined ? '' : ` (it resolves to ${resolved})`;
  const where = bound === target ? 'is' : `reaches ${bound},`;
  return {
    code: FORWARDING_LOOP,
    side: 'client',
    reason: `${LOOP_REASON}: ${target}${via} ${where} its own listening address`,
  };
}

/** The failure of a request that already carries this process's hop marker. */
export function hopMarkerFailure(viaEntry: string): ClassifiedFailure {
  return {
    code: FORWARDING_LOOP,
    side: 'client',
    reason: `${LOOP_REASON}: it has already passed through this proxy (Via: ${viaEntry})`,
  };
}

/** The failure of an upstream connection that this proxy accepted itself. */
export function selfConnectionFailure(target: string): ClassifiedFailure {
  return {
    code: FORWARDING_LOOP,
    side: 'client',
    reason: `${LOOP_REASON}: the connection to ${target} came back to this proxy`,
  };
}
