/** Where a stream or connection is forwarded. */
export interface UpstreamEndpoint {
  readonly host: string;
  readonly port: number;
  /** TLS to the upstream; false means cleartext (h2c prior knowledge or plain HTTP/1.1). */
  readonly tls: boolean;
  /** SNI and the name the upstream certificate is verified against; defaults to `host`. */
  readonly servername?: string;
}

/** Verification settings for upstream TLS (both the HTTP/2 and the HTTP/1.1 side). */
export interface UpstreamTlsOptions {
  /**
   * The complete list of trusted CA certificates (PEM); absent means Node's bundled roots. The CLI
   * passes Node's roots, the system store and every `--upstream-ca` (see `loadTrustStore`).
   */
  readonly ca?: readonly string[];
  readonly rejectUnauthorized: boolean;
}

/** `host:port` with IPv6 literals bracketed. */
export function formatEndpoint(endpoint: Pick<UpstreamEndpoint, 'host' | 'port'>): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

export function endpointKey(endpoint: UpstreamEndpoint): string {
  return `${endpoint.tls ? 'https' : 'http'}://${formatEndpoint(endpoint)}#${endpoint.servername ?? ''}`;
}
