import type { ConnectionInfo, UpstreamInfo } from '../http2/channel-event.js';

/**
 * The `connection` field of records (docs/records.md): the client leg with its `upstream`, the
 * fields of `ConnectionInfo` and `UpstreamInfo` in a fixed order whoever built those.
 */
export type ConnectionRecord = ConnectionInfo & { readonly upstream: UpstreamInfo | null };

function toUpstreamRecord(upstream: UpstreamInfo): UpstreamInfo {
  return {
    host: upstream.host,
    port: upstream.port,
    tls: upstream.tls,
    address: upstream.address,
    addressPort: upstream.addressPort,
    sni: upstream.sni,
    alpn: upstream.alpn,
    tlsVersion: upstream.tlsVersion,
  };
}

/** The `connection` field, in its documented key order. */
export function toConnectionRecord(
  connection: ConnectionInfo,
  upstream: UpstreamInfo | null,
): ConnectionRecord {
  return {
    id: connection.id,
    clientAddress: connection.clientAddress,
    clientPort: connection.clientPort,
    tunnel: connection.tunnel,
    sni: connection.sni,
    alpn: connection.alpn,
    tlsVersion: connection.tlsVersion,
    upstream: upstream === null ? null : toUpstreamRecord(upstream),
  };
}

const clientTexts = new WeakMap<ConnectionInfo, string>();
const upstreamTexts = new WeakMap<UpstreamInfo, string>();

/**
 * `JSON.stringify(toConnectionRecord(connection, upstream))`, from texts kept per connection and
 * per upstream: every call on a connection repeats them.
 */
export function stringifyConnection(
  connection: ConnectionInfo,
  upstream: UpstreamInfo | null,
): string {
  let client = clientTexts.get(connection);
  if (client === undefined) {
    const text = JSON.stringify(toConnectionRecord(connection, null));
    client = text.slice(0, -'null}'.length);
    clientTexts.set(connection, client);
  }
  if (upstream === null) return `${client}null}`;
  let target = upstreamTexts.get(upstream);
  if (target === undefined) {
    target = JSON.stringify(toUpstreamRecord(upstream));
    upstreamTexts.set(upstream, target);
  }
  return `${client}${target}}`;
}
