import { type ClassifiedFailure, classifyUpstreamError } from '../http2/map-error.js';

export type { ClassifiedFailure } from '../http2/map-error.js';

/**
 * Maps an error from the upstream side of an HTTP/1.1 exchange to a stable code. Connection and
 * TLS errors share the HTTP/2 mapping (one place knows Node's error codes); llhttp's `HPE_*` parse
 * errors are HTTP/1-specific and mean the upstream's response was not valid HTTP/1.1.
 */
export function classifyHttp1UpstreamError(error: unknown, authority: string): ClassifiedFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('HPE_')) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      code: 'UPSTREAM_PROTOCOL_ERROR',
      side: 'upstream',
      reason: `${authority} sent an invalid HTTP/1.1 response: ${message} (${code})`,
    };
  }
  return classifyUpstreamError(error, authority);
}

/** The status the proxy answers a request it could not parse with, and its reason phrase. */
export interface ClientErrorResponse {
  readonly status: number;
  readonly reason: string;
}

/**
 * Chooses the response to a failed client request from the error Node's server reports
 * (`'clientError'`): the mapping Node applies when nobody listens, for llhttp parse errors
 * (`HPE_*`) and Node's HTTP timeouts (`ERR_HTTP_*`). Null for a failed connection (reset, TLS
 * failure): there is no request to answer.
 */
export function chooseClientErrorResponse(code: string | undefined): ClientErrorResponse | null {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout' };
    default:
      if (code?.startsWith('HPE_') || code?.startsWith('ERR_HTTP_')) {
        return { status: 400, reason: 'Bad Request' };
      }
      return null;
  }
}
