/** Where the HTTP/1.1 forwarder sends a request. */
export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  /** TLS to the upstream (https); false means cleartext HTTP/1.1. */
  readonly tls: boolean;
  /** SNI and the name the upstream certificate is verified against; defaults to `host`. */
  readonly servername?: string;
}

/** `host:port`, with IPv6 literals bracketed (RFC 3986 §3.2.2). */
export function formatAuthority(target: Pick<UpstreamTarget, 'host' | 'port'>): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}`;
}
