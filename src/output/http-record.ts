import type { HttpExchange } from '../flow/http-exchange.js';
import { toConnectionRecord } from './connection-record.js';
import { formatDuration } from './format-duration.js';

/** The `protocol: "http"` record of one plain HTTP exchange (see docs/records.md). */
export function toHttpRecord(exchange: HttpExchange): Record<string, unknown> {
  return {
    protocol: 'http',
    event: 'exchange',
    time: new Date(exchange.time).toISOString(),
    flowId: exchange.flowId,
    httpVersion: exchange.httpVersion,
    method: exchange.method,
    authority: exchange.authority,
    path: exchange.path,
    status: exchange.status,
    requestBytes: exchange.requestBytes,
    responseBytes: exchange.responseBytes,
    durationMs: exchange.durationMs,
    error: exchange.error,
    requestHeaders: exchange.requestHeaders,
    responseHeaders: exchange.responseHeaders,
    requestTrailers: exchange.requestTrailers,
    responseTrailers: exchange.responseTrailers,
    ...(exchange.informational.length > 0
      ? {
          informational: exchange.informational.map((response) => ({
            status: response.status,
            headers: response.headers,
          })),
        }
      : {}),
    connection:
      exchange.connection === null
        ? null
        : toConnectionRecord(exchange.connection, exchange.upstream),
  };
}

/** One text-tail line for a plain HTTP exchange (no trailing newline). */
export function formatHttpLine(exchange: HttpExchange, color: boolean): string {
  const time = new Date(exchange.time).toISOString().slice(11, 23);
  const outcome = exchange.error
    ? `${exchange.error.code} (${exchange.error.side})`
    : String(exchange.status ?? '-');
  const failed = exchange.error !== null || (exchange.status ?? 0) >= 500;
  const paint = (code: string, text: string): string =>
    color ? `\x1b[${code}m${text}\x1b[0m` : text;
  return [
    paint('2', time),
    paint('2', exchange.flowId.slice(0, 8)),
    `HTTP/${exchange.httpVersion}`,
    exchange.method,
    `${exchange.authority}${exchange.path}`,
    '→',
    paint(failed ? '31' : '32', outcome),
    `req=${exchange.requestBytes}B resp=${exchange.responseBytes}B ${formatDuration(exchange.durationMs)}`,
  ].join(' ');
}
