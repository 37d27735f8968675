import { formatAuthority, type UpstreamTarget } from './upstream-target.js';

/** Where one request goes, and the request-target and `Host` to send there. */
export interface ForwardRoute {
  readonly kind: 'forward';
  readonly destination: UpstreamTarget;
  /** The request-target for the upstream request line, byte for byte as the client wrote it. */
  readonly path: string;
  /** `host[:port]` for logs and summaries: the `Host` header, or the absolute URL's authority. */
  readonly authority: string;
  /** A replacement `Host` value (forward-proxy mode, RFC 9112 §3.2.2); null keeps `Host` as sent. */
  readonly hostOverride: string | null;
}

/** A request the proxy answers itself with `status` and a plain-text `reason`. */
export interface RejectedRoute {
  readonly kind: 'reject';
  readonly status: number;
  /** Stable code for summaries: `NOT_A_PROXY_REQUEST`, `HTTPS_NEEDS_CONNECT`, ... */
  readonly code: string;
  readonly reason: string;
}

export type RequestRoute = ForwardRoute | RejectedRoute;

const HTTP_SCHEME = 'http://';
const HTTP_DEFAULT_PORT = 80;

/**
 * Decides where a request goes. With a target (inside a tunnel, or reverse mode) every request goes
 * there unchanged. Without one (forward-proxy mode) the request must carry an absolute-form
 * `http:` target (RFC 9112 §3.2.2); it is forwarded in origin-form, since the next hop is the
 * origin server. `https:` targets need a CONNECT tunnel; anything else is not a proxy request.
 */
export function routeRequest(
  requestTarget: string,
  target: UpstreamTarget | null,
  host: string | undefined,
): RequestRoute {
  if (target !== null) {
    return {
      kind: 'forward',
      destination: target,
      path: requestTarget,
      authority: host ?? formatAuthority(target),
      hostOverride: null,
    };
  }
  const lower = requestTarget.slice(0, HTTP_SCHEME.length + 1).toLowerCase();
  if (lower.startsWith(HTTP_SCHEME)) return routeAbsoluteForm(requestTarget);
  if (lower.startsWith('https://')) {
    return reject(
      'HTTPS_NEEDS_CONNECT',
      `grpctap: ${requestTarget} is an https URL; send it through a CONNECT tunnel (use grpctap as an HTTPS proxy)`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requestTarget)) {
    return reject('UNSUPPORTED_SCHEME', `grpctap: cannot forward ${requestTarget}: only http URLs`);
  }
  return reject(
    'NOT_A_PROXY_REQUEST',
    `grpctap is a proxy: send absolute-form requests (GET http://host/path) or CONNECT, not ${requestTarget}`,
  );
}

function routeAbsoluteForm(requestTarget: string): RequestRoute {
  const rest = requestTarget.slice(HTTP_SCHEME.length);
  const authorityEnd = rest.search(/[/?#]/);
  const authorityPart = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const host = authorityPart.slice(authorityPart.lastIndexOf('@') + 1);
  let url: URL;
  try {
    url = new URL(`${HTTP_SCHEME}${host}/`);
  } catch {
    return reject('INVALID_REQUEST_TARGET', `grpctap: cannot parse ${requestTarget} as a URL`);
  }
  if (url.hostname === '') {
    return reject('INVALID_REQUEST_TARGET', `grpctap: ${requestTarget} names no host`);
  }
  const pathPart = authorityEnd === -1 ? '' : rest.slice(authorityEnd).replace(/#.*$/s, '');
  const path = pathPart === '' ? '/' : pathPart.startsWith('?') ? `/${pathPart}` : pathPart;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? HTTP_DEFAULT_PORT : Number(url.port);
  return {
    kind: 'forward',
    destination: { host: hostname, port, tls: false },
    path,
    authority: host,
    hostOverride: host,
  };
}

function reject(code: string, reason: string): RejectedRoute {
  return { kind: 'reject', status: 400, code, reason };
}
