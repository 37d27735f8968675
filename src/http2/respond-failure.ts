import type { ServerHttp2Stream } from 'node:http2';
import { FORWARDING_LOOP, LOOP_DETECTED_STATUS } from '../listener/detect-forwarding-loop.js';
import type { ClassifiedFailure } from './map-error.js';

/** gRPC status UNAVAILABLE: what a client should see when the proxy cannot reach the upstream. */
const GRPC_UNAVAILABLE = '14';

/**
 * Percent-encodes a `grpc-message` value: bytes outside printable ASCII and `%` itself
 * (gRPC PROTOCOL-HTTP2.md, "Responses").
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** gRPC status UNAUTHENTICATED, for gRPC clients that do not read HTTP 407. */
const GRPC_UNAUTHENTICATED = '16';

/**
 * Answers a client stream the upstream could not serve: a trailers-only gRPC UNAVAILABLE for gRPC
 * requests, otherwise HTTP 502 with the reason as text (508 Loop Detected for a request that
 * would loop back into the proxy, RFC 5842 §7.2). Missing proxy credentials get HTTP 407
 * with `proxy-authenticate` either way (plus gRPC UNAUTHENTICATED for gRPC requests). Does nothing
 * if the response has started.
 */
export function respondWithFailure(
  stream: ServerHttp2Stream,
  failure: ClassifiedFailure,
  grpc: boolean,
): void {
  if (stream.headersSent || stream.destroyed || stream.closed) return;
  if (failure.code === 'PROXY_AUTH_REQUIRED') {
    stream.respond(
      {
        ':status': 407,
        'proxy-authenticate': 'Basic realm="grpctap"',
        ...(grpc
          ? {
              'content-type': 'application/grpc',
              'grpc-status': GRPC_UNAUTHENTICATED,
              'grpc-message': encodeGrpcMessage(`grpctap: ${failure.reason}`),
            }
          : {}),
      },
      { endStream: true },
    );
    return;
  }
  if (grpc) {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': GRPC_UNAVAILABLE,
        'grpc-message': encodeGrpcMessage(`grpctap: ${failure.reason}`),
      },
      { endStream: true },
    );
    return;
  }
  const status = failure.code === FORWARDING_LOOP ? LOOP_DETECTED_STATUS : 502;
  stream.respond(
    { ':status': status, 'content-type': 'text/plain; charset=utf-8' },
    { waitForTrailers: false },
  );
  stream.end(`grpctap: ${failure.reason}\n`);
}
