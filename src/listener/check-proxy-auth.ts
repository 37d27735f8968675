import { timingSafeEqual } from 'node:crypto';

/**
 * Checks a `Proxy-Authorization` value against `user:password` (Basic, RFC 7617). Constant-time on
 * the credentials so their length and content do not leak through timing.
 */
export function createProxyAuthCheck(credentials: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(`Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  return (header) => {
    if (header === undefined) return false;
    const given = Buffer.from(header.trim().replace(/^basic /i, 'Basic '));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

/** The 407 answer for CONNECT and plain requests without valid credentials. */
export const PROXY_AUTH_REQUIRED =
  'HTTP/1.1 407 Proxy Authentication Required\r\n' +
  'proxy-authenticate: Basic realm="grpctap"\r\n' +
  'content-length: 0\r\nconnection: close\r\n\r\n';
