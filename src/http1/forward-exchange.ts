import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../http2/channel-event.js';
import {
  describeUpstreamConnection,
  describeUpstreamTarget,
} from '../http2/describe-connection.js';
import { describeRequestFailure } from '../http2/describe-request-failure.js';
import { FORWARDING_LOOP, LOOP_DETECTED_STATUS } from '../listener/detect-forwarding-loop.js';
import { classifyHttp1UpstreamError } from './classify-http1-failure.js';
import type { Http1ExchangeSummary } from './exchange-summary.js';
import { pairRawHeaders, removeHopByHopHeaders, replaceHost } from './hop-by-hop-headers.js';
import { formatResponseHead } from './raw-http-message.js';
import type { RequestRoute } from './route-request.js';
import { type ExchangeRecord, trackExchange } from './track-exchange.js';
import type { UpstreamConnector } from './upstream-connector.js';
import { formatAuthority } from './upstream-target.js';

/** What an exchange needs from the forwarder that runs it. */
export interface ExchangeContext {
  readonly connector: UpstreamConnector;
  readonly log: (line: string) => void;
  readonly report: (summary: Http1ExchangeSummary) => void;
  /** The client connection a socket belongs to. */
  readonly connectionOf: (socket: Duplex) => ConnectionInfo;
  /** Body bytes each exchange keeps per direction for its summary (0: none). */
  readonly maxBodyBytes: number;
  /** This proxy's `Via` entry (RFC 9110 §7.6.3), appended to every forwarded request; null: none. */
  readonly viaEntry: string | null;
  /** True once the forwarder is closing: exchanges it cuts then are the proxy's doing. */
  readonly shuttingDown: () => boolean;
}

/** A failure log line for an exchange: `http1: METHOD PATH → UPSTREAM: REASON`, upstream once. */
export function logExchangeFailure(
  context: ExchangeContext,
  request: { method: string; path: string; upstream: string },
  reason: string,
): void {
  context.log(`http1: ${describeRequestFailure(request, reason)}`);
}

/** Appends this proxy's `Via` entry to a flat raw header array (after any the client sent). */
export function addVia(raw: readonly string[], viaEntry: string | null): string[] {
  return viaEntry === null ? [...raw] : [...raw, 'Via', viaEntry];
}

/** The status of the proxy's own answer to a failure: 508 for a loop, 502 otherwise. */
export function statusForFailure(code: string): number {
  return code === FORWARDING_LOOP ? LOOP_DETECTED_STATUS : 502;
}

/** How an exchange the proxy cut while closing ends (the same code as on HTTP/2). */
export const PROXY_SHUTDOWN = {
  code: 'PROXY_SHUTDOWN',
  side: 'proxy',
  reason: 'grpctap is shutting down',
} as const;

const CLIENT_ABORTED = {
  code: 'CLIENT_ABORTED',
  side: 'client',
  reason: 'the client closed the connection before the exchange completed',
} as const;

/**
 * Forwards one request and its response, streaming both bodies chunk by chunk under back-pressure,
 * and relays 1xx responses and trailers. `expectsContinue` is true for `Expect: 100-continue`
 * requests, whose 100 must come from the upstream (RFC 9110 §10.1.1), never from Node.
 */
export function forwardExchange(
  context: ExchangeContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: RequestRoute,
  expectsContinue: boolean,
): void {
  res.sendDate = false;
  const method = req.method ?? 'GET';
  const authority = route.kind === 'forward' ? route.authority : (req.headers.host ?? '');
  const path = route.kind === 'forward' ? route.path : (req.url ?? '');
  const requestEnd = watchRequestEnd(req, res);
  const record = trackExchange(
    {
      method,
      authority,
      path,
      connection: context.connectionOf(req.socket),
      upstream: route.kind === 'forward' ? describeUpstreamTarget(route.destination) : null,
      requestHeaders: pairRawHeaders(req.rawHeaders),
    },
    [requestEnd, res],
    context.report,
    context.maxBodyBytes,
  );
  const upstreamName = route.kind === 'forward' ? formatAuthority(route.destination) : authority;
  const label = `http1: ${method} ${path} → ${upstreamName}`;
  const logFailure = (reason: string): void =>
    logExchangeFailure(context, { method, path, upstream: upstreamName }, reason);
  if (route.kind === 'reject') {
    record.fail({ code: route.code, side: 'client', reason: route.reason });
    logFailure(route.reason);
    respondPlain(res, record, route.status, route.reason);
    req.resume();
    return;
  }
  const requestHeaders = addVia(
    removeHopByHopHeaders(req.rawHeaders, { keepTransferEncoding: true }),
    context.viaEntry,
  );
  let upstreamReq: http.ClientRequest;
  try {
    upstreamReq = context.connector.request(route.destination, {
      method,
      path: route.path,
      headers:
        route.hostOverride === null
          ? requestHeaders
          : replaceHost(requestHeaders, route.hostOverride),
    });
  } catch (error) {
    const reason = `cannot forward this request: ${(error as Error).message}`;
    record.fail({ code: 'INVALID_REQUEST', side: 'client', reason });
    logFailure(reason);
    respondPlain(res, record, 400, reason);
    req.resume();
    return;
  }

  let continued = false;
  let forwardingBody = true;
  let responseEnded = false;
  const stopForwardingBody = (): void => {
    if (!forwardingBody) return;
    forwardingBody = false;
    req.unpipe(upstreamReq);
    req.resume();
  };
  const abandon = (): void => {
    record.fail(context.shuttingDown() ? PROXY_SHUTDOWN : CLIENT_ABORTED);
    upstreamReq.destroy();
  };
  res.once('close', () => {
    if (!res.writableFinished) abandon();
  });
  requestEnd.once('close', () => {
    if (!req.complete && forwardingBody) abandon();
  });

  req.on('data', (chunk: Buffer) => {
    record.requestBytes += chunk.length;
    record.requestBody?.push(chunk);
  });
  req.pipe(upstreamReq, { end: false });
  req.once('end', () => {
    if (req.rawTrailers.length > 0) record.requestTrailers = pairRawHeaders(req.rawTrailers);
    if (!forwardingBody || upstreamReq.destroyed) return;
    addTrailers(upstreamReq, req.rawTrailers, context.log, label);
    upstreamReq.end();
  });
  // The upstream sees the request head as soon as the proxy does, even before any body arrives.
  upstreamReq.flushHeaders();

  upstreamReq.on('information', (info) => {
    // RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return;
    if (info.statusCode === 100) continued = true;
    if (relayInformational(res, info, context.log, label)) {
      record.informational.push({
        status: info.statusCode,
        headers: pairRawHeaders(info.rawHeaders),
      });
    }
  });

  upstreamReq.once('response', (upstreamRes) => {
    // A final answer before 100 means the upstream will not read the body (RFC 9110 §10.1.1).
    const bodyRefused = expectsContinue && !continued;
    if (bodyRefused) stopForwardingBody();
    const status = upstreamRes.statusCode ?? 0;
    try {
      res.writeHead(
        status,
        upstreamRes.statusMessage ?? '',
        removeHopByHopHeaders(upstreamRes.rawHeaders),
      );
    } catch (error) {
      stopForwardingBody();
      upstreamReq.destroy();
      const reason = `${upstreamName} sent a response Node cannot relay: ${(error as Error).message}`;
      record.fail({ code: 'UPSTREAM_PROTOCOL_ERROR', side: 'upstream', reason });
      logFailure(reason);
      respondPlain(res, record, 502, reason);
      return;
    }
    record.status = status;
    record.responseHeaders = pairRawHeaders(upstreamRes.rawHeaders);
    if (record.upstream !== null) {
      record.upstream = describeUpstreamConnection(record.upstream, upstreamReq.socket);
    }
    res.flushHeaders();
    upstreamRes.on('data', (chunk: Buffer) => {
      record.responseBytes += chunk.length;
      record.responseBody?.push(chunk);
    });
    upstreamRes.pipe(res, { end: false });
    upstreamRes.once('end', () => {
      responseEnded = true;
      if (upstreamRes.rawTrailers.length > 0) {
        record.responseTrailers = pairRawHeaders(upstreamRes.rawTrailers);
      }
      addTrailers(res, upstreamRes.rawTrailers, context.log, label);
      res.end();
      // The upstream connection still waits for a body nobody will send: it cannot be reused.
      if (bodyRefused) upstreamReq.destroy();
    });
    upstreamRes.once('close', () => {
      if (upstreamRes.complete) return;
      const reason = `${upstreamName} closed the connection in the middle of the response`;
      const failure = context.shuttingDown()
        ? PROXY_SHUTDOWN
        : ({ code: 'UPSTREAM_CONNECTION_RESET', side: 'upstream', reason } as const);
      if (record.fail(failure) && failure !== PROXY_SHUTDOWN) logFailure(reason);
      // A truncated body must look broken to the client, not complete.
      res.destroy();
    });
  });

  upstreamReq.on('error', (error) => {
    stopForwardingBody();
    // The upstream answered and then stopped reading the rest of the body: nothing failed.
    if (responseEnded) return;
    const failure = context.shuttingDown()
      ? PROXY_SHUTDOWN
      : classifyHttp1UpstreamError(error, upstreamName);
    if (!record.fail(failure)) return;
    if (failure !== PROXY_SHUTDOWN) logFailure(failure.reason);
    if (res.headersSent) res.destroy();
    else respondPlain(res, record, statusForFailure(failure.code), failure.reason);
  });
}

/**
 * Emits `'close'` once the request side is over. That is the request's own `'close'`, except when
 * the response finished first with the body still unread: Node then detaches the request, and
 * only the connection closing ends it.
 */
function watchRequestEnd(req: http.IncomingMessage, res: http.ServerResponse): EventEmitter {
  const end = new EventEmitter();
  const socket = req.socket;
  let over = false;
  const finish = (): void => {
    if (over) return;
    over = true;
    socket.off('close', finish);
    end.emit('close');
  };
  req.once('close', finish);
  res.once('close', () => {
    if (!over && !req.complete) socket.once('close', finish);
  });
  return end;
}

/** Answers with a short plain-text body, the proxy's own words, prefixed with `grpctap: `. */
function respondPlain(
  res: http.ServerResponse,
  record: ExchangeRecord,
  status: number,
  reason: string,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(reason.startsWith('grpctap') ? `${reason}\n` : `grpctap: ${reason}\n`);
  res.writeHead(status, http.STATUS_CODES[status] ?? '', [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(body.length),
  ]);
  res.end(body);
  record.status = status;
}

/**
 * Writes a 1xx head exactly as received, header fields included (a `100 Continue` too: Node's
 * `writeContinue` would send the bare status line). Node's ServerResponse has no general API for
 * it, so the head goes straight to the socket, which is safe while this response owns the socket
 * and has not started its own head. A pipelined response still queued behind another cannot do
 * that. Returns whether the head was written.
 */
function relayInformational(
  res: http.ServerResponse,
  info: http.InformationEvent,
  log: (line: string) => void,
  label: string,
): boolean {
  const socket = res.socket;
  if (socket === null || res.headersSent || !socket.writable) {
    log(`${label}: dropped a ${info.statusCode} response (the client connection is busy)`);
    return false;
  }
  socket.write(formatResponseHead(info.statusCode, info.statusMessage, info.rawHeaders), 'latin1');
  // What `writeContinue` records: without it Node ends an `Expect: 100-continue` exchange with
  // `Connection: close`, as if the body had been refused.
  if (info.statusCode === 100) (res as http.ServerResponse & { _sent100: boolean })._sent100 = true;
  return true;
}

function addTrailers(
  message: http.OutgoingMessage,
  rawTrailers: readonly string[],
  log: (line: string) => void,
  label: string,
): void {
  if (rawTrailers.length === 0) return;
  try {
    message.addTrailers(pairRawHeaders(rawTrailers));
  } catch (error) {
    log(`${label}: dropped trailers Node cannot relay: ${(error as Error).message}`);
  }
}
