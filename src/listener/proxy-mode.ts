import type { UpstreamEndpoint } from '../http2/upstream-endpoint.js';

/**
 * `forward`: an HTTP proxy (CONNECT tunnels, absolute-form HTTP/1.1, h2c prior knowledge routed
 * by `:authority`). `reverse`: every connection goes to one upstream, for clients that cannot use
 * a proxy.
 */
export type ProxyMode =
  { readonly kind: 'forward' } | { readonly kind: 'reverse'; readonly endpoint: UpstreamEndpoint };

/** Parses `--reverse` values such as `https://127.0.0.1:50051` or `http://host:port`. */
export function parseReverseUrl(value: string): UpstreamEndpoint | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.pathname !== '/' || url.search || url.username) return null;
  const tls = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return null;
  return { host, port: url.port ? Number(url.port) : tls ? 443 : 80, tls, servername: host };
}
