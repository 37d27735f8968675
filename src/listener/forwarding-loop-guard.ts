import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import type net from 'node:net';
import { networkInterfaces } from 'node:os';
import { type ClassifiedFailure, ProxyFailure } from '../http2/map-error.js';
import {
  canonicalizeIp,
  detectForwardingLoop,
  hopMarkerFailure,
  type ListenAddress,
  ownAddressFailure,
  selfConnectionFailure,
} from './detect-forwarding-loop.js';
import { createHopMarker } from './hop-marker.js';

/** What the code that opens upstream sockets needs from the guard. */
export interface UpstreamSocketGuard {
  /** A failure when `host` is an IP literal or `localhost` that reaches the proxy; else null. */
  checkTarget(host: string, port: number): ClassifiedFailure | null;
  /**
   * A `lookup` for `net.connect` / `tls.connect` / `http.request` to `port`: it resolves as
   * `dns.lookup` does and fails with a `FORWARDING_LOOP` `ProxyFailure` when the name resolves to
   * one of the proxy's own addresses, so the check is made on the addresses actually dialled.
   */
  lookupFor(port: number): net.LookupFunction;
  /**
   * Remembers an outgoing socket's local address once it connects (until it closes), so that the
   * proxy accepting that very connection is recognised. Call it before anything is written;
   * calling it again for the same socket does nothing.
   */
  watch(socket: net.Socket, target: string): void;
}

/** The four addresses of an accepted connection, read while it is open. */
export interface ConnectionEnds {
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** Loop checks for every route: own addresses, the `Via` hop marker and self-connections. */
export interface ForwardingLoopGuard extends UpstreamSocketGuard {
  /** Adds an address the proxy listens on (call it once `listen` has bound it). */
  addListener(address: ListenAddress): void;
  /** A failure when the request's `Via` values carry this process's hop marker; else null. */
  checkHopMarker(viaValues: readonly string[]): ClassifiedFailure | null;
  /** This process's `Via` entry, appended to every request the HTTP/1.1 forwarder sends. */
  readonly viaEntry: string;
  /**
   * Whether an accepted connection is one of this process's own upstream sockets seen from the
   * other end (same addresses and ports, mirrored). If so, that upstream socket is destroyed with
   * a `FORWARDING_LOOP` failure and true is returned. The full four-tuple is compared: Linux
   * reuses a local port for connections to different destinations, so the client's address and
   * port alone could belong to someone else.
   */
  claimSelfConnection(accepted: ConnectionEnds): boolean;
}

export interface ForwardingLoopGuardOptions {
  /** This machine's interface addresses; default `os.networkInterfaces()`, read at each check. */
  readonly interfaceAddresses?: () => readonly string[];
  /** Resolver; default `dns.lookup`. */
  readonly lookup?: net.LookupFunction;
}

function readInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((info) => info.address),
  );
}

/**
 * One TCP connection as `from -> to`, both canonical `address|port`; null until both ends are
 * known. A connection the proxy opened and then accepted itself has the same key on both sides.
 */
function keyOf(
  fromAddress: string | undefined,
  fromPort: number | undefined,
  toAddress: string | undefined,
  toPort: number | undefined,
): string | null {
  if (fromPort === undefined || toPort === undefined) return null;
  const from = fromAddress === undefined ? null : canonicalizeIp(fromAddress);
  const to = toAddress === undefined ? null : canonicalizeIp(toAddress);
  return from === null || to === null ? null : `${from.text}|${fromPort}->${to.text}|${toPort}`;
}

/** Creates the guard one proxy process shares between its listener and both forwarders. */
export function createForwardingLoopGuard(
  options: ForwardingLoopGuardOptions = {},
): ForwardingLoopGuard {
  const listeners: ListenAddress[] = [];
  const interfaces = options.interfaceAddresses ?? readInterfaceAddresses;
  const resolve = options.lookup ?? dns.lookup;
  const marker = createHopMarker(randomBytes(6));
  /** Local `address|port` of each connected upstream socket (bounded by the open sockets). */
  const outgoing = new Map<string, { readonly socket: net.Socket; readonly target: string }>();

  /** Sockets already watched: a pooled keep-alive socket is handed out again and again. */
  const watched = new WeakSet<net.Socket>();

  // The interface list is read only when a target's port is one the proxy listens on: reading it
  // is a system call that cost 5% of the proxy's CPU when done for every request.
  const own = () => ({
    listeners,
    get interfaceAddresses() {
      return interfaces();
    },
  });
  const checkTarget = (host: string, port: number): ClassifiedFailure | null => {
    const listener = detectForwardingLoop(host, port, own());
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return listener === null ? null : ownAddressFailure(target, listener);
  };

  return {
    viaEntry: marker.viaEntry,
    checkTarget,
    checkHopMarker(viaValues) {
      return marker.isCarriedBy(viaValues) ? hopMarkerFailure(marker.viaEntry) : null;
    },
    lookupFor(port) {
      return (hostname, lookupOptions, callback) => {
        resolve(hostname, lookupOptions, (error, address, family) => {
          if (error) {
            callback(error, address, family);
            return;
          }
          const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
          for (const candidate of addresses) {
            const listener = detectForwardingLoop(candidate, port, own());
            if (listener === null) continue;
            const failure = ownAddressFailure(`${hostname}:${port}`, listener, candidate);
            const loop = new ProxyFailure(failure.code, failure.side, failure.reason);
            callback(loop, address, family);
            return;
          }
          callback(null, address, family);
        });
      };
    },
    watch(socket, target) {
      if (watched.has(socket)) return;
      watched.add(socket);
      let key: string | null = null;
      const remember = (): void => {
        if (key !== null || socket.destroyed) return;
        key = keyOf(socket.localAddress, socket.localPort, socket.remoteAddress, socket.remotePort);
        if (key !== null) outgoing.set(key, { socket, target });
      };
      if (socket.connecting) socket.once('connect', remember);
      else remember();
      socket.once('close', () => {
        if (key !== null && outgoing.get(key)?.socket === socket) outgoing.delete(key);
      });
    },
    claimSelfConnection(accepted) {
      const key = keyOf(
        accepted.remoteAddress,
        accepted.remotePort,
        accepted.localAddress,
        accepted.localPort,
      );
      const entry = key === null ? undefined : outgoing.get(key);
      if (entry === undefined) return false;
      const failure = selfConnectionFailure(entry.target);
      entry.socket.destroy(new ProxyFailure(failure.code, failure.side, failure.reason));
      return true;
    },
    addListener(address) {
      listeners.push({ address: address.address, port: address.port });
    },
  };
}
