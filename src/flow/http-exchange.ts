import type {
  ChannelEvent,
  ConnectionInfo,
  HeaderList,
  Side,
  UpstreamInfo,
  InformationalResponse,
} from '../http2/channel-event.js';
import { findHeader } from '../http2/header-list.js';
import type { Http1ExchangeSummary } from '../http1/exchange-summary.js';
import { createBodyCapture, type ExchangeContent } from './capture-body.js';

/** One plain (non-gRPC) HTTP request/response, summarised when it ends. */
export interface HttpExchange extends ExchangeContent {
  readonly flowId: string;
  /** Start time, ms since the epoch. */
  readonly time: number;
  readonly httpVersion: '1.1' | '2';
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  /** Final response status; null when the exchange failed before one. */
  readonly status: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly durationMs: number;
  /** The 1xx responses relayed before the final one (100 Continue, 103 Early Hints, ...). */
  readonly informational: readonly InformationalResponse[];
  readonly error: { readonly code: string; readonly reason: string; readonly side: Side } | null;
  /** The client connection it arrived on; null when not known. */
  readonly connection: ConnectionInfo | null;
  /** Where it went (see `UpstreamInfo`); null when it had no destination. */
  readonly upstream: UpstreamInfo | null;
}

export interface HttpExchangeTracker {
  push(event: ChannelEvent): HttpExchange | null;
  setUpstream(upstream: UpstreamInfo): void;
}

/**
 * Folds an HTTP/2 stream's channel events into one `HttpExchange` (pure). `push` returns the
 * exchange once the response has ended or the stream was reset, and null before. Bodies are
 * captured up to `maxBodyBytes` each; 0 captures none.
 */
export function createHttpExchangeTracker(
  flowId: string,
  requestHeaders: HeaderList,
  connection: ConnectionInfo | null,
  target: UpstreamInfo | null,
  maxBodyBytes = 0,
): HttpExchangeTracker {
  let upstream = target;
  let responseHeaders: HeaderList | null = null;
  let requestTrailers: HeaderList = [];
  let responseTrailers: HeaderList = [];
  const requestBody = maxBodyBytes > 0 ? createBodyCapture(maxBodyBytes) : null;
  const responseBody = maxBodyBytes > 0 ? createBodyCapture(maxBodyBytes) : null;
  let start: number | null = null;
  let status: number | null = null;
  let requestBytes = 0;
  let responseBytes = 0;
  let finished = false;
  const informational: InformationalResponse[] = [];
  const finish = (time: number, error: HttpExchange['error']): HttpExchange => {
    finished = true;
    const began = start ?? time;
    return {
      flowId,
      time: began,
      httpVersion: '2',
      method: findHeader(requestHeaders, ':method') ?? '',
      authority:
        findHeader(requestHeaders, ':authority') ?? findHeader(requestHeaders, 'host') ?? '',
      path: findHeader(requestHeaders, ':path') ?? '',
      status,
      requestBytes,
      responseBytes,
      durationMs: time - began,
      informational,
      error,
      connection,
      upstream,
      requestHeaders,
      responseHeaders,
      requestTrailers,
      responseTrailers,
      requestBody: requestBody?.finish() ?? null,
      responseBody: responseBody?.finish() ?? null,
    };
  };
  return {
    setUpstream(info) {
      upstream = info;
    },
    push(event) {
      if (finished) return null;
      start ??= event.time;
      switch (event.kind) {
        case 'headersReceived':
          if (event.direction === 'receive') {
            responseHeaders = event.headers;
            status = Number(findHeader(event.headers, ':status') ?? Number.NaN);
            if (Number.isNaN(status)) status = null;
            if (event.endStream) return finish(event.time, null);
          }
          return null;
        case 'dataReceived':
          if (event.direction === 'send') {
            requestBytes += event.data.byteLength;
            requestBody?.push(event.data);
          } else {
            responseBytes += event.data.byteLength;
            responseBody?.push(event.data);
          }
          return null;
        case 'trailersReceived':
          if (event.direction === 'send') requestTrailers = event.headers;
          else responseTrailers = event.headers;
          return event.direction === 'receive' ? finish(event.time, null) : null;
        case 'endReceived':
          return event.direction === 'receive' ? finish(event.time, null) : null;
        case 'informationalReceived':
          informational.push({
            status: Number(findHeader(event.headers, ':status') ?? 0),
            headers: event.headers.filter(([name]) => !name.startsWith(':')),
          });
          return null;
        case 'streamReset':
          return finish(event.time, { code: event.code, reason: event.reason, side: event.side });
      }
    },
  };
}

/** The exchange of an HTTP/1.1 forwarder summary, named `flowId`. */
export function fromHttp1Summary(summary: Http1ExchangeSummary, flowId: string): HttpExchange {
  return {
    flowId,
    time: summary.startTime,
    httpVersion: '1.1',
    method: summary.method,
    authority: summary.authority,
    path: summary.path,
    status: summary.status,
    requestBytes: summary.requestBytes,
    responseBytes: summary.responseBytes,
    durationMs: summary.durationMs,
    error: summary.error,
    connection: summary.connection,
    upstream: summary.upstream,
    requestHeaders: summary.requestHeaders,
    responseHeaders: summary.responseHeaders,
    requestTrailers: summary.requestTrailers,
    responseTrailers: summary.responseTrailers,
    requestBody: summary.requestBody,
    responseBody: summary.responseBody,
    informational: summary.informational,
  };
}
