import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import type { UpstreamSocketGuard } from '../listener/forwarding-loop-guard.js';
import { connectUpstream } from './connect-upstream.js';
import { ProxyFailure } from './map-error.js';
import {
  connectionWindowBytes,
  createHttp2Settings,
  type Http2Limits,
  MAX_SEND_HEADER_BLOCK_BYTES,
  MAX_SESSION_MEMORY_MIB,
} from './session-settings.js';
import {
  endpointKey,
  formatEndpoint,
  type UpstreamEndpoint,
  type UpstreamTlsOptions,
} from './upstream-endpoint.js';

export type UpstreamProtocol = 'h2' | 'http/1.1';

export interface UpstreamPoolOptions {
  readonly tls: UpstreamTlsOptions;
  readonly connectTimeoutMs: number;
  readonly onTlsSocket?: ((socket: tls.TLSSocket) => void) | undefined;
  readonly log: (line: string) => void;
  /** Window sizes for upstream sessions (see `Http2Limits`). */
  readonly limits: Http2Limits;
  /** Keeps the pool from connecting to the proxy itself (see `connectUpstream`). */
  readonly guard?: UpstreamSocketGuard | undefined;
}

export interface UpstreamPool {
  /**
   * Which protocol the upstream speaks for a client that offered `offered` (ALPN ids). Learned once
   * per endpoint and offer; the probing connection becomes a pooled session when it is h2.
   * Cleartext endpoints speak h2 (prior knowledge). Rejects with the connection error.
   */
  negotiate(endpoint: UpstreamEndpoint, offered: readonly string[]): Promise<UpstreamProtocol>;
  /**
   * A session with room for one more stream (MAX_CONCURRENT_STREAMS honoured). The room is
   * reserved until `request` opens the stream or `release` gives it back. After `close` it
   * rejects with a `PROXY_SHUTDOWN` (side `proxy`) `ProxyFailure`.
   */
  acquire(endpoint: UpstreamEndpoint): Promise<PooledSession>;
  close(): void;
}

export interface PooledSession {
  readonly session: http2.ClientHttp2Session;
  /** Opens a stream in the reserved room; the pool counts it until it closes. */
  request(
    headers: http2.OutgoingHttpHeaders,
    options: http2.ClientSessionRequestOptions,
  ): http2.ClientHttp2Stream;
  /** Gives the reserved room back without opening a stream. */
  release(): void;
}

interface Entry {
  readonly session: http2.ClientHttp2Session;
  active: number;
  usable: boolean;
  /** Resolves once the peer's first SETTINGS (its MAX_CONCURRENT_STREAMS) arrived, or it failed. */
  readonly settled: Promise<void>;
  isSettled: boolean;
}

const SUPPORTED_ALPN = ['h2', 'http/1.1'];

/**
 * Upstream HTTP/2 sessions, pooled per endpoint. A new session is opened when every open one is at
 * the peer's MAX_CONCURRENT_STREAMS; a session that receives GOAWAY or fails stops taking streams
 * and its in-flight streams finish on their own.
 */
export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  const settings = createHttp2Settings(options.limits);
  const sessions = new Map<string, Entry[]>();
  const pending = new Map<string, Promise<Entry>>();
  const negotiated = new Map<string, Promise<UpstreamProtocol>>();
  let closed = false;

  function adopt(endpoint: UpstreamEndpoint, socket: Duplex): Entry {
    const key = endpointKey(endpoint);
    const scheme = endpoint.tls ? 'https' : 'http';
    const session = http2.connect(`${scheme}://${formatEndpoint(endpoint)}`, {
      createConnection: () => socket,
      settings,
      maxSessionMemory: MAX_SESSION_MEMORY_MIB,
      maxSendHeaderBlockLength: MAX_SEND_HEADER_BLOCK_BYTES,
    });
    let settle = (): void => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const entry: Entry = { session, active: 0, usable: true, settled, isSettled: false };
    const markSettled = (): void => {
      entry.isSettled = true;
      clearTimeout(settleTimer);
      settle();
    };
    // A peer that never sends SETTINGS is broken; stop waiting for it after the connect timeout.
    const settleTimer = setTimeout(markSettled, options.connectTimeoutMs);
    settleTimer.unref();
    session.once('remoteSettings', markSettled);
    session.once('close', markSettled);
    const list = sessions.get(key) ?? [];
    list.push(entry);
    sessions.set(key, list);
    const retire = (): void => {
      entry.usable = false;
      const current = sessions.get(key);
      if (!current) return;
      const rest = current.filter((e) => e !== entry);
      if (rest.length > 0) sessions.set(key, rest);
      else sessions.delete(key);
    };
    session.on('error', (error: Error) => {
      options.log(`upstream session ${formatEndpoint(endpoint)} failed: ${error.message}`);
      retire();
    });
    session.on('goaway', retire);
    session.on('close', retire);
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(connectionWindowBytes(options.limits));
      } catch {
        // The session may already be closing; nothing to tune then.
      }
    });
    session.unref();
    return entry;
  }

  async function open(endpoint: UpstreamEndpoint): Promise<Entry> {
    const socket = await connectUpstream(endpoint, {
      tls: options.tls,
      alpn: ['h2'],
      timeoutMs: options.connectTimeoutMs,
      onTlsSocket: options.onTlsSocket,
      guard: options.guard,
    });
    if (endpoint.tls && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
      socket.destroy();
      throw Object.assign(
        new Error(`${formatEndpoint(endpoint)} does not offer HTTP/2 (ALPN h2)`),
        { code: 'UPSTREAM_NO_H2' },
      );
    }
    return adopt(endpoint, socket);
  }

  function hasRoom(entry: Entry): boolean {
    const { session } = entry;
    if (!entry.usable || session.closed || session.destroyed) return false;
    const limit = session.remoteSettings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
    return entry.active < limit;
  }

  /**
   * Counts the stream from the moment the session is handed out: several acquisitions can resolve
   * before any of them opens its stream, and must not all see the same free room.
   */
  function wrap(entry: Entry): PooledSession {
    entry.active += 1;
    let held = true;
    const giveBack = (): void => {
      if (!held) return;
      held = false;
      entry.active -= 1;
    };
    let opened = false;
    return {
      session: entry.session,
      request(headers, requestOptions) {
        opened = true;
        let stream: http2.ClientHttp2Stream;
        try {
          stream = entry.session.request(headers, requestOptions);
        } catch (error) {
          giveBack();
          throw error;
        }
        stream.once('close', giveBack);
        return stream;
      },
      release() {
        if (!opened) giveBack();
      },
    };
  }

  return {
    async negotiate(endpoint, offered) {
      if (!endpoint.tls) return 'h2';
      const alpn = offered.filter((id) => SUPPORTED_ALPN.includes(id));
      const key = `${endpointKey(endpoint)}|${alpn.join(',')}`;
      let result = negotiated.get(key);
      if (!result) {
        result = (async () => {
          const socket = (await connectUpstream(endpoint, {
            tls: options.tls,
            alpn,
            timeoutMs: options.connectTimeoutMs,
            onTlsSocket: options.onTlsSocket,
            guard: options.guard,
          })) as tls.TLSSocket;
          if (socket.alpnProtocol === 'h2') {
            adopt(endpoint, socket);
            return 'h2';
          }
          socket.destroy();
          return 'http/1.1';
        })();
        negotiated.set(key, result);
        result.catch(() => negotiated.delete(key));
      }
      return result;
    },

    async acquire(endpoint) {
      if (closed) throw new ProxyFailure('PROXY_SHUTDOWN', 'proxy', 'grpctap is shutting down');
      const key = endpointKey(endpoint);
      for (;;) {
        // Until a new session's SETTINGS arrive its stream limit is unknown (Node assumes 100):
        // wait, so a burst of streams does not overrun a peer that allows fewer.
        const unsettled = sessions.get(key)?.find((entry) => entry.usable && !entry.isSettled);
        if (unsettled) {
          await unsettled.settled;
          continue;
        }
        const ready = sessions.get(key)?.find(hasRoom);
        if (ready) return wrap(ready);
        let opening = pending.get(key);
        if (!opening) {
          opening = open(endpoint).finally(() => pending.delete(key));
          pending.set(key, opening);
          const entry = await opening;
          await entry.settled;
          return wrap(entry);
        }
        await opening;
      }
    },

    close() {
      closed = true;
      for (const list of sessions.values()) for (const entry of list) entry.session.close();
      sessions.clear();
    },
  };
}
