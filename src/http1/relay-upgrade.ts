import http from 'node:http';
import type net from 'node:net';
import type stream from 'node:stream';
import {
  describeUpstreamConnection,
  describeUpstreamTarget,
} from '../http2/describe-connection.js';
import { classifyHttp1UpstreamError } from './classify-http1-failure.js';
import {
  addVia,
  type ExchangeContext,
  logExchangeFailure,
  PROXY_SHUTDOWN,
  statusForFailure,
} from './forward-exchange.js';
import { pairRawHeaders, removeHopByHopHeaders, replaceHost } from './hop-by-hop-headers.js';
import {
  createStatusLineSniffer,
  formatPlainResponse,
  formatRequestHead,
} from './raw-http-message.js';
import type { RequestRoute } from './route-request.js';
import { trackExchange } from './track-exchange.js';
import { formatAuthority } from './upstream-target.js';

/** What a tunnel needs beyond an exchange: a way to register sockets `close()` must destroy. */
export interface TunnelContext extends ExchangeContext {
  readonly track: (socket: stream.Duplex) => void;
}

/**
 * Relays an upgrade request (WebSocket, ...; RFC 9110 §7.8) over a connection of its own: the
 * request head goes upstream with `Connection` and `Upgrade` intact, then bytes flow both ways
 * untouched, `head` (bytes the client sent after its request head) first. The upstream's answer,
 * 101 or not, is relayed raw too. The tunnel ends when either side ends.
 */
export function relayUpgrade(
  context: TunnelContext,
  req: http.IncomingMessage,
  client: stream.Duplex,
  head: Buffer,
  route: RequestRoute,
): void {
  const method = req.method ?? 'GET';
  const authority = route.kind === 'forward' ? route.authority : (req.headers.host ?? '');
  const path = route.kind === 'forward' ? route.path : (req.url ?? '');
  const upstreamName = route.kind === 'forward' ? formatAuthority(route.destination) : authority;
  const logFailure = (reason: string): void =>
    logExchangeFailure(
      context,
      { method: `${method} (upgrade)`, path, upstream: upstreamName },
      reason,
    );
  if (route.kind === 'reject') {
    client.on('error', () => {});
    const identity = {
      method,
      authority,
      path,
      connection: context.connectionOf(client),
      requestHeaders: pairRawHeaders(req.rawHeaders),
    };
    const record = trackExchange(
      { ...identity, upstream: null },
      [client],
      context.report,
      context.maxBodyBytes,
    );
    record.fail({ code: route.code, side: 'client', reason: route.reason });
    record.status = route.status;
    logFailure(route.reason);
    client.end(
      formatPlainResponse(route.status, http.STATUS_CODES[route.status] ?? '', `${route.reason}\n`),
    );
    return;
  }

  const headers = addVia(
    removeHopByHopHeaders(req.rawHeaders, { upgrade: true }),
    context.viaEntry,
  );
  const requestHead = formatRequestHead(
    method,
    route.path,
    req.httpVersion,
    route.hostOverride === null ? headers : replaceHost(headers, route.hostOverride),
  );
  const sniffer = createStatusLineSniffer();
  let ready = false;
  const upstream: net.Socket = context.connector.connect(route.destination, () => {
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    ready = true;
    if (record.upstream !== null) {
      record.upstream = describeUpstreamConnection(record.upstream, upstream);
    }
    upstream.write(requestHead, 'latin1');
    if (head.length > 0) upstream.write(head);
    record.requestBytes += head.length;
    record.requestBody?.push(head);
    client.on('data', (chunk: Buffer) => {
      record.requestBytes += chunk.length;
      record.requestBody?.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      record.responseBytes += chunk.length;
      record.responseBody?.push(chunk);
      const status = sniffer.push(chunk);
      if (typeof status === 'number') record.status = status;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  context.track(upstream);
  const record = trackExchange(
    {
      method,
      authority,
      path,
      connection: context.connectionOf(client),
      upstream: describeUpstreamTarget(route.destination),
      requestHeaders: pairRawHeaders(req.rawHeaders),
    },
    [client, upstream],
    context.report,
    context.maxBodyBytes,
  );

  upstream.on('error', (error) => {
    const failure = classifyHttp1UpstreamError(error, upstreamName);
    if (record.fail(failure)) logFailure(failure.reason);
    if (ready || !client.writable) {
      client.destroy();
      return;
    }
    const status = statusForFailure(failure.code);
    record.status = status;
    client.end(
      formatPlainResponse(status, http.STATUS_CODES[status] ?? '', `grpctap: ${failure.reason}\n`),
    );
  });
  client.on('error', () => {
    if (context.shuttingDown()) record.fail(PROXY_SHUTDOWN);
    record.fail({
      code: 'CLIENT_CONNECTION_RESET',
      side: 'client',
      reason: 'the client connection failed',
    });
  });
  upstream.once('close', (hadError: boolean) => {
    if (context.shuttingDown()) record.fail(PROXY_SHUTDOWN);
    if (ready && record.responseBytes === 0) {
      const reason = `${upstreamName} closed the connection without answering the upgrade request`;
      if (record.fail({ code: 'UPSTREAM_CONNECTION_RESET', side: 'upstream', reason })) {
        logFailure(reason);
      }
    }
    if (ready) closeAfter(client, hadError);
  });
  client.once('close', (hadError?: boolean) => {
    if (context.shuttingDown()) record.fail(PROXY_SHUTDOWN);
    if (!ready) upstream.destroy();
    else closeAfter(upstream, hadError === true);
  });
}

/**
 * Ends `socket` after its peer went away: a reset travels on as a reset; a clean close lets data
 * already queued for `socket` reach its peer first.
 */
function closeAfter(socket: stream.Duplex, abruptly: boolean): void {
  if (socket.destroyed) return;
  if (abruptly) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}
