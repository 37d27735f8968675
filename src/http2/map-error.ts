import { ErrorCode, nameErrorCode } from '../h2/error-code.js';
import type { Side } from './channel-event.js';

export const HTTP2_NO_ERROR = ErrorCode.NO_ERROR;
export const HTTP2_PROTOCOL_ERROR = ErrorCode.PROTOCOL_ERROR;
export const HTTP2_INTERNAL_ERROR = ErrorCode.INTERNAL_ERROR;
export const HTTP2_REFUSED_STREAM = ErrorCode.REFUSED_STREAM;
export const HTTP2_CANCEL = ErrorCode.CANCEL;

/** `CANCEL` for 8; `CODE_<n>` for codes the RFC does not name (RFC 9113 §7). */
export const nameHttp2Error = nameErrorCode;

/** A failure classified for records and logs: stable code, who caused it, a readable reason. */
export interface ClassifiedFailure {
  readonly code: string;
  readonly side: Side;
  readonly reason: string;
}

/** A failure already classified where it happened; `classifyUpstreamError` passes it through. */
export class ProxyFailure extends Error implements ClassifiedFailure {
  constructor(
    readonly code: string,
    readonly side: Side,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ProxyFailure';
  }
}

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'HOSTNAME_MISMATCH',
]);

/**
 * Maps a Node error raised while reaching or talking to the upstream to a stable failure code.
 * This is the one place that knows Node's error codes.
 */
export function classifyUpstreamError(error: unknown, target: string): ClassifiedFailure {
  if (error instanceof ProxyFailure) return error;
  const err = error as NodeJS.ErrnoException & { code?: string };
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = err instanceof Error ? err.message : String(error);
  if (TLS_VERIFY_CODES.has(code)) {
    return {
      code: 'UPSTREAM_TLS_VERIFY_FAILED',
      side: 'upstream',
      reason: `upstream certificate verification failed for ${target}: ${message} (use --upstream-ca FILE or --upstream-insecure)`,
    };
  }
  switch (code) {
    case 'ECONNREFUSED':
      return {
        code: 'UPSTREAM_REFUSED',
        side: 'upstream',
        reason: `${target} refused the connection`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return {
        code: 'UPSTREAM_DNS_FAILED',
        side: 'upstream',
        reason: `cannot resolve ${target}: ${message}`,
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return {
        code: 'UPSTREAM_UNREACHABLE',
        side: 'upstream',
        reason: `${target} is unreachable: ${message}`,
      };
    case 'ECONNRESET':
    case 'EPIPE':
      return {
        code: 'UPSTREAM_CONNECTION_RESET',
        side: 'upstream',
        reason: `${target} closed the connection: ${message}`,
      };
    case 'ERR_HTTP2_GOAWAY_SESSION':
      return { code: 'UPSTREAM_GOAWAY', side: 'upstream', reason: `${target} sent GOAWAY` };
    case 'ERR_HTTP2_SESSION_ERROR':
    case 'ERR_HTTP2_ERROR':
      return { code: 'UPSTREAM_PROTOCOL_ERROR', side: 'upstream', reason: `${target}: ${message}` };
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return {
        code: 'UPSTREAM_TLS_FAILED',
        side: 'upstream',
        reason: `${target} does not speak TLS: ${message}`,
      };
    case 'UPSTREAM_NO_H2':
      return { code: 'UPSTREAM_NO_H2', side: 'upstream', reason: message };
    default:
      if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
        return {
          code: 'UPSTREAM_TLS_FAILED',
          side: 'upstream',
          reason: `TLS with ${target} failed: ${message}`,
        };
      }
      return { code: 'UPSTREAM_FAILED', side: 'upstream', reason: `${target}: ${message}` };
  }
}
