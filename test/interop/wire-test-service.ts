/**
 * The interop TestService methods that need per-message compression, served on node:http2 with
 * our own gRPC framing, because no gRPC server library here offers it (grpc-js sends every
 * message uncompressed and hides a request message's compressed flag; grpcio hides the flag too):
 *
 * - CompressedRequest: with `expect_compressed`, a request message whose compressed flag does not
 *   match fails the call with INVALID_ARGUMENT (the feature probe of the client_compressed cases).
 * - CompressedResponse: `response_compressed` (UnaryCall) and `ResponseParameters.compressed`
 *   (StreamingOutputCall) send that message gzip-compressed with flag 1, the others with flag 0,
 *   under `grpc-encoding: gzip` when any is compressed.
 *
 * Served: UnaryCall, StreamingInputCall, StreamingOutputCall; anything else is UNIMPLEMENTED.
 * Requests are read whole before answering (PROTOCOL-HTTP2.md framing; gzip and deflate read).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { createLengthPrefixedDecoder } from '../../src/grpc/length-prefixed-decoder.js';
import { sleep } from '../helpers/wait.js';
import {
  type BoolValue,
  messageType,
  type SimpleRequest,
  type StreamingInputCallRequest,
  type StreamingOutputCallRequest,
  TEST_SERVICE,
  zeros,
} from './interop-messages.js';
import type { TestServiceServer } from './grpc-js-test-service.js';

/** Largest request message read (bytes); the interop cases send at most 271828. */
const MAX_REQUEST_MESSAGE = 4 * 1024 * 1024;

interface RequestMessage {
  readonly compressed: boolean;
  readonly payload: Buffer;
}

interface Response {
  readonly messages: readonly { readonly payload: Uint8Array; readonly compress: boolean }[];
  readonly status: number;
  readonly statusMessage: string;
  /** Pause before each message (ms), for `interval_us`. */
  readonly delaysMs?: readonly number[];
}

const types = {
  SimpleRequest: messageType('SimpleRequest'),
  SimpleResponse: messageType('SimpleResponse'),
  StreamingInputCallRequest: messageType('StreamingInputCallRequest'),
  StreamingInputCallResponse: messageType('StreamingInputCallResponse'),
  StreamingOutputCallRequest: messageType('StreamingOutputCallRequest'),
  StreamingOutputCallResponse: messageType('StreamingOutputCallResponse'),
};

function decode<T>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), { defaults: false }) as T;
}

function encode(type: protobuf.Type, value: object): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

function frame(payload: Uint8Array, compress: boolean): Buffer {
  const body = compress ? gzipSync(payload) : Buffer.from(payload);
  const prefix = Buffer.alloc(5);
  prefix[0] = compress ? 1 : 0;
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

function failure(status: number, statusMessage: string): Response {
  return { messages: [], status, statusMessage };
}

/** CompressedRequest: null when the message's flag matches what the request says to expect. */
function checkExpectation(expected: BoolValue | null | undefined, compressed: boolean) {
  if (!expected || Boolean(expected.value) === compressed) return null;
  return failure(
    grpc.status.INVALID_ARGUMENT,
    expected.value
      ? 'expected a compressed request message'
      : 'expected an uncompressed request message',
  );
}

function answer(method: string, messages: readonly RequestMessage[]): Response {
  switch (method) {
    case 'UnaryCall': {
      const [message] = messages;
      if (!message || messages.length > 1)
        return failure(grpc.status.INVALID_ARGUMENT, 'one request message expected');
      const request = decode<SimpleRequest>(types.SimpleRequest, message.payload);
      const mismatch = checkExpectation(request.expect_compressed, message.compressed);
      if (mismatch) return mismatch;
      const payload = encode(types.SimpleResponse, {
        payload: zeros(request.response_size ?? 0),
      });
      const compress = Boolean(request.response_compressed?.value);
      return { messages: [{ payload, compress }], status: 0, statusMessage: '' };
    }
    case 'StreamingInputCall': {
      let total = 0;
      for (const message of messages) {
        const request = decode<StreamingInputCallRequest>(
          types.StreamingInputCallRequest,
          message.payload,
        );
        const mismatch = checkExpectation(request.expect_compressed, message.compressed);
        if (mismatch) return mismatch;
        total += request.payload?.body?.length ?? 0;
      }
      const payload = encode(types.StreamingInputCallResponse, { aggregated_payload_size: total });
      return { messages: [{ payload, compress: false }], status: 0, statusMessage: '' };
    }
    case 'StreamingOutputCall': {
      const [message] = messages;
      if (!message || messages.length > 1)
        return failure(grpc.status.INVALID_ARGUMENT, 'one request message expected');
      const request = decode<StreamingOutputCallRequest>(
        types.StreamingOutputCallRequest,
        message.payload,
      );
      const parameters = request.response_parameters ?? [];
      return {
        messages: parameters.map((each) => ({
          payload: encode(types.StreamingOutputCallResponse, { payload: zeros(each.size ?? 0) }),
          compress: Boolean(each.compressed?.value),
        })),
        delaysMs: parameters.map((each) => (each.interval_us ?? 0) / 1000),
        status: 0,
        statusMessage: '',
      };
    }
    default:
      return failure(grpc.status.UNIMPLEMENTED, `${method} is not served here`);
  }
}

function inflate(encoding: string, payload: Buffer): Buffer {
  if (encoding === 'gzip') return gunzipSync(payload);
  if (encoding === 'deflate') return inflateSync(payload);
  throw new Error(`unsupported grpc-encoding ${encoding}`);
}

async function respond(stream: http2.ServerHttp2Stream, response: Response): Promise<void> {
  const compressing = response.messages.some((message) => message.compress);
  const headers: http2.OutgoingHttpHeaders = {
    ':status': 200,
    'content-type': 'application/grpc',
    'grpc-accept-encoding': 'identity,deflate,gzip',
    ...(compressing ? { 'grpc-encoding': 'gzip' } : {}),
  };
  const status = {
    'grpc-status': String(response.status),
    ...(response.statusMessage ? { 'grpc-message': response.statusMessage } : {}),
  };
  if (response.messages.length === 0 && response.status !== 0) {
    stream.respond({ ...headers, ...status }, { endStream: true });
    return;
  }
  stream.respond(headers, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(status));
  for (const [index, message] of response.messages.entries()) {
    const delay = response.delaysMs?.[index] ?? 0;
    if (delay > 0) await sleep(delay);
    if (stream.closed) return;
    if (!stream.write(frame(message.payload, message.compress))) {
      await new Promise((resolve) => stream.once('drain', resolve));
    }
  }
  stream.end();
}

function serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on('error', () => {});
  const path = String(headers[':path'] ?? '');
  const method = path.startsWith(`/${TEST_SERVICE}/`) ? path.slice(TEST_SERVICE.length + 2) : '';
  const encoding = String(headers['grpc-encoding'] ?? 'identity');
  const decoder = createLengthPrefixedDecoder(MAX_REQUEST_MESSAGE);
  const messages: RequestMessage[] = [];
  let broken: Response | null = null;
  stream.on('data', (chunk: Buffer) => {
    const result = decoder.decode(chunk);
    if (result.error) broken ??= failure(grpc.status.INTERNAL, result.error.reason);
    for (const wire of result.messages) {
      const body = Buffer.from(wire.raw.subarray(5));
      try {
        const payload = wire.compressed ? inflate(encoding, body) : body;
        messages.push({ compressed: wire.compressed, payload });
      } catch (error) {
        broken ??= failure(grpc.status.INTERNAL, (error as Error).message);
      }
    }
  });
  stream.on('end', () => {
    const response =
      method === ''
        ? failure(grpc.status.UNIMPLEMENTED, `${path} is not served here`)
        : (broken ?? answer(method, messages));
    void respond(stream, response);
  });
}

/** Starts the compression-capable TestService over TLS with `tls` (a `localhost` certificate). */
export async function startWireTestService(tls: {
  readonly certPem: string;
  readonly keyPem: string;
}): Promise<TestServiceServer> {
  const server = http2.createSecureServer({ cert: tls.certPem, key: tls.keyPem });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
