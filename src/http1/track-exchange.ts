import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type BodyCapture, createBodyCapture } from '../flow/capture-body.js';
import type { ConnectionInfo, HeaderList, UpstreamInfo } from '../http2/channel-event.js';
import type {
  Http1ExchangeError,
  Http1ExchangeSummary,
  InformationalResponse,
} from './exchange-summary.js';

/** The running tally of one exchange; the I/O code updates it as bytes and failures happen. */
export interface ExchangeRecord {
  /** The final status the client received, once known. */
  status: number | null;
  requestBytes: number;
  responseBytes: number;
  /** The destination, completed with the connection actually used once it is known. */
  upstream: UpstreamInfo | null;
  responseHeaders: HeaderList | null;
  requestTrailers: HeaderList;
  responseTrailers: HeaderList;
  /** Body captures up to the cap; null when bodies are not captured. */
  readonly requestBody: BodyCapture | null;
  readonly responseBody: BodyCapture | null;
  /** The 1xx responses relayed to the client, in order. */
  readonly informational: InformationalResponse[];
  /**
   * Records a failure. Only the first one counts: later ones are its consequences (the client
   * leaving makes the upstream request fail, and so on). Returns whether this one was first.
   */
  fail(error: Http1ExchangeError): boolean;
}

/** What identifies an exchange in its summary. */
export interface ExchangeIdentity {
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly connection: ConnectionInfo;
  /** The destination before any connection; null when the request is not forwarded. */
  readonly upstream: UpstreamInfo | null;
  readonly requestHeaders: HeaderList;
}

/**
 * Starts the tally of an exchange (bodies captured up to `maxBodyBytes` each, 0 for none) whose two ends are `ends` (request and response, or the two
 * sockets of a tunnel) and reports its summary once every end has emitted `'close'`.
 */
export function trackExchange(
  identity: ExchangeIdentity,
  ends: readonly EventEmitter[],
  report: (summary: Http1ExchangeSummary) => void,
  maxBodyBytes: number,
): ExchangeRecord {
  const startTime = Date.now();
  const started = performance.now();
  let error: Http1ExchangeError | null = null;
  const record: ExchangeRecord = {
    status: null,
    requestBytes: 0,
    responseBytes: 0,
    upstream: identity.upstream,
    responseHeaders: null,
    requestTrailers: [],
    responseTrailers: [],
    requestBody: maxBodyBytes > 0 ? createBodyCapture(maxBodyBytes) : null,
    responseBody: maxBodyBytes > 0 ? createBodyCapture(maxBodyBytes) : null,
    informational: [],
    fail(failure) {
      if (error !== null) return false;
      error = failure;
      return true;
    },
  };
  let open = ends.length;
  const onClose = (): void => {
    open -= 1;
    if (open > 0) return;
    report({
      method: identity.method,
      authority: identity.authority,
      path: identity.path,
      connection: identity.connection,
      upstream: record.upstream,
      status: record.status,
      requestBytes: record.requestBytes,
      responseBytes: record.responseBytes,
      informational: record.informational,
      durationMs: Math.round(performance.now() - started),
      error,
      startTime,
      requestHeaders: identity.requestHeaders,
      responseHeaders: record.responseHeaders,
      requestTrailers: record.requestTrailers,
      responseTrailers: record.responseTrailers,
      requestBody: record.requestBody?.finish() ?? null,
      responseBody: record.responseBody?.finish() ?? null,
    });
  };
  for (const end of ends) end.once('close', onClose);
  return record;
}
