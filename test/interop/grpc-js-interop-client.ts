/**
 * The client side of the interop cases with grpc-js: each procedure of gRPC's
 * doc/interop-test-descriptions.md and the asserts it asks a client to make. Every call carries
 * `x-call-id: grpc-js/<case>#<n>` so its records can be found.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { CALL_ID_HEADER } from '../e2e/grpc-harness.js';
import { callTag, type Endpoint } from './interop-harness.js';
import {
  COMPRESSED_STREAM_BYTES,
  ECHO_INITIAL_KEY,
  ECHO_INITIAL_VALUE,
  ECHO_TRAILING_KEY,
  ECHO_TRAILING_VALUE,
  LARGE_REQUEST_BYTES,
  LARGE_RESPONSE_BYTES,
  REQUEST_STREAM_BYTES,
  RESPONSE_STREAM_BYTES,
  type SimpleRequest,
  type SimpleResponse,
  SPECIAL_STATUS_MESSAGE,
  STATUS_MESSAGE,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
  TestServiceClient,
  UnimplementedServiceClient,
  zeros,
} from './interop-messages.js';
import { SLEEPING_SERVER_DEADLINE_MS } from './interop-cases.js';

/** grpc-js's WriteFlags.NoCompress: send this one message uncompressed. */
const NO_COMPRESS = 2;
/** Deadline of every call that has none in its procedure: a hang fails, bounded. */
const CALL_DEADLINE_MS = 20_000;

/** Clients of one endpoint: plain, compressing (gzip) and the unimplemented service. */
export interface GrpcJsClients {
  readonly plain: grpc.Client;
  readonly gzip: grpc.Client;
  readonly unimplemented: grpc.Client;
  close(): void;
}

export function createGrpcJsClients(endpoint: Endpoint, caPem: string): GrpcJsClients {
  const credentials = grpc.credentials.createSsl(Buffer.from(caPem));
  const options: grpc.ClientOptions =
    endpoint.proxyUrl === null
      ? { 'grpc.enable_http_proxy': 0, 'grpc.ssl_target_name_override': endpoint.serverName }
      : {};
  // grpc-js reads `grpc_proxy` when a channel is created.
  if (endpoint.proxyUrl !== null) process.env.grpc_proxy = endpoint.proxyUrl;
  const plain = new TestServiceClient(endpoint.target, credentials, options);
  const gzip = new TestServiceClient(endpoint.target, credentials, {
    ...options,
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
  const unimplemented = new UnimplementedServiceClient(endpoint.target, credentials, options);
  return {
    plain,
    gzip,
    unimplemented,
    close() {
      for (const client of [plain, gzip, unimplemented]) client.close();
    },
  };
}

interface Outcome<T> {
  readonly responses: T[];
  readonly initial: grpc.Metadata;
  readonly status: grpc.StatusObject;
}

type AnyCall =
  grpc.ClientUnaryCall | grpc.ClientReadableStream<unknown> | grpc.ClientWritableStream<unknown>;

/** grpc-js generated clients have no static method types. */
function invoke(client: grpc.Client, method: string, ...args: unknown[]): unknown {
  const fn = (client as unknown as Record<string, ((...a: unknown[]) => unknown) | undefined>)[
    method
  ];
  if (!fn) throw new Error(`no method ${method}`);
  return fn.apply(client, args);
}

/** Collects a call's initial metadata, responses and status; never rejects. */
function observe<T>(anyCall: AnyCall, responses: T[] = []): Promise<Outcome<T>> {
  const call = anyCall as grpc.ClientReadableStream<T>;
  let initial = new grpc.Metadata();
  call.on('metadata', (metadata: grpc.Metadata) => {
    initial = metadata;
  });
  call.on('data', (response: T) => responses.push(response));
  call.on('error', () => {});
  return new Promise((resolve) =>
    call.on('status', (status: grpc.StatusObject) => resolve({ responses, initial, status })),
  );
}

function callOptions(deadlineMs = CALL_DEADLINE_MS): grpc.CallOptions {
  return { deadline: Date.now() + deadlineMs };
}

function unary<T>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: grpc.Metadata,
): Promise<Outcome<T>> {
  const responses: T[] = [];
  const call = invoke(
    client,
    method,
    request,
    metadata,
    callOptions(),
    (_e: unknown, value?: T) => {
      if (value !== undefined) responses.push(value);
    },
  ) as grpc.ClientUnaryCall;
  return observe(call).then((outcome) => ({ ...outcome, responses }));
}

/** Streams `requests` (each with its write flags) and half-closes. */
function clientStream<T>(
  client: grpc.Client,
  requests: readonly (readonly [StreamingInputCallRequest, number?])[],
  metadata: grpc.Metadata,
): Promise<Outcome<T>> {
  const responses: T[] = [];
  const call = invoke(
    client,
    'StreamingInputCall',
    metadata,
    callOptions(),
    (_e: unknown, value?: T) => {
      if (value !== undefined) responses.push(value);
    },
  ) as grpc.ClientWritableStream<StreamingInputCallRequest>;
  const outcome = observe(call);
  for (const [request, flags] of requests) {
    if (flags === undefined) call.write(request);
    else call.write(request, flags as unknown as BufferEncoding);
  }
  call.end();
  return outcome.then((result) => ({ ...result, responses }));
}

function duplex(client: grpc.Client, metadata: grpc.Metadata, deadlineMs?: number) {
  return invoke(
    client,
    'FullDuplexCall',
    metadata,
    callOptions(deadlineMs),
  ) as grpc.ClientDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>;
}

function bodySize(response: { payload?: { body?: Buffer } | null } | undefined): number {
  return response?.payload?.body?.length ?? -1;
}

function assertOk(status: grpc.StatusObject): void {
  assert.equal(status.code, grpc.status.OK, `status ${status.code}: ${status.details}`);
}

function assertZeros(response: SimpleResponse | undefined, size: number): void {
  assert.ok(response?.payload?.body?.equals(Buffer.alloc(size)), `a ${size}-byte zero body`);
}

const largeRequest: SimpleRequest = {
  response_size: LARGE_RESPONSE_BYTES,
  payload: zeros(LARGE_REQUEST_BYTES),
};

/** Runs one case as a grpc-js client; throws (an AssertionError) when a client assert fails. */
export async function runGrpcJsCase(name: string, clients: GrpcJsClients): Promise<void> {
  let calls = 0;
  const metadata = (extra: readonly [string, string | Buffer][] = []): grpc.Metadata => {
    const result = new grpc.Metadata();
    result.set(CALL_ID_HEADER, callTag('grpc-js', name, ++calls));
    for (const [key, value] of extra) result.set(key, value);
    return result;
  };
  const { plain, gzip } = clients;
  switch (name) {
    case 'empty_unary': {
      const outcome = await unary<object>(plain, 'EmptyCall', {}, metadata());
      assertOk(outcome.status);
      assert.deepEqual(outcome.responses, [{}]);
      return;
    }
    case 'large_unary': {
      const outcome = await unary<SimpleResponse>(plain, 'UnaryCall', largeRequest, metadata());
      assertOk(outcome.status);
      assertZeros(outcome.responses[0], LARGE_RESPONSE_BYTES);
      return;
    }
    case 'client_streaming': {
      const requests = REQUEST_STREAM_BYTES.map((size) => [{ payload: zeros(size) }] as const);
      const outcome = await clientStream<StreamingInputCallResponse>(plain, requests, metadata());
      assertOk(outcome.status);
      assert.equal(outcome.responses[0]?.aggregated_payload_size, 74_922);
      return;
    }
    case 'server_streaming': {
      const request = {
        response_parameters: RESPONSE_STREAM_BYTES.map((size) => ({ size })),
      };
      const call = invoke(plain, 'StreamingOutputCall', request, metadata(), callOptions());
      const outcome = await observe<StreamingOutputCallResponse>(call as AnyCall);
      assertOk(outcome.status);
      assert.deepEqual(outcome.responses.map(bodySize), [...RESPONSE_STREAM_BYTES]);
      return;
    }
    case 'ping_pong': {
      const call = duplex(plain, metadata());
      const sizes: number[] = [];
      const outcome = observe<StreamingOutputCallResponse>(call);
      let next = 0;
      const send = (): void => {
        const index = next++;
        if (index >= REQUEST_STREAM_BYTES.length) {
          call.end();
          return;
        }
        call.write({
          response_parameters: [{ size: RESPONSE_STREAM_BYTES[index] as number }],
          payload: zeros(REQUEST_STREAM_BYTES[index] as number),
        });
      };
      call.on('data', (response: StreamingOutputCallResponse) => {
        sizes.push(bodySize(response));
        send();
      });
      send();
      assertOk((await outcome).status);
      assert.deepEqual(sizes, [...RESPONSE_STREAM_BYTES]);
      return;
    }
    case 'empty_stream': {
      const call = duplex(plain, metadata());
      const outcome = observe<StreamingOutputCallResponse>(call);
      call.end();
      const result = await outcome;
      assertOk(result.status);
      assert.equal(result.responses.length, 0);
      return;
    }
    case 'status_code_and_message': {
      const response_status = { code: 2, message: STATUS_MESSAGE };
      const first = await unary(plain, 'UnaryCall', { response_status }, metadata());
      const call = duplex(plain, metadata());
      const second = observe(call);
      call.write({ response_status });
      call.end();
      for (const outcome of [first, await second]) {
        assert.equal(outcome.status.code, 2);
        assert.equal(outcome.status.details, STATUS_MESSAGE);
      }
      return;
    }
    case 'special_status_message': {
      const response_status = { code: 2, message: SPECIAL_STATUS_MESSAGE };
      const outcome = await unary(plain, 'UnaryCall', { response_status }, metadata());
      assert.equal(outcome.status.code, 2);
      assert.equal(outcome.status.details, SPECIAL_STATUS_MESSAGE);
      return;
    }
    case 'unimplemented_method': {
      const outcome = await unary(plain, 'UnimplementedCall', {}, metadata());
      assert.equal(outcome.status.code, grpc.status.UNIMPLEMENTED);
      return;
    }
    case 'unimplemented_service': {
      const outcome = await unary(clients.unimplemented, 'UnimplementedCall', {}, metadata());
      assert.equal(outcome.status.code, grpc.status.UNIMPLEMENTED);
      return;
    }
    case 'custom_metadata': {
      const echo = (): grpc.Metadata =>
        metadata([
          [ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE],
          [ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE],
        ]);
      const first = await unary(plain, 'UnaryCall', largeRequest, echo());
      const call = duplex(plain, echo());
      const second = observe(call);
      call.write({
        response_parameters: [{ size: LARGE_RESPONSE_BYTES }],
        payload: zeros(LARGE_REQUEST_BYTES),
      });
      call.end();
      for (const outcome of [first, await second]) {
        assertOk(outcome.status);
        assert.deepEqual(outcome.initial.get(ECHO_INITIAL_KEY), [ECHO_INITIAL_VALUE]);
        assert.deepEqual(outcome.status.metadata.get(ECHO_TRAILING_KEY), [ECHO_TRAILING_VALUE]);
      }
      return;
    }
    case 'timeout_on_sleeping_server': {
      // The procedure's 1 ms, then a deadline long enough for the call to reach the server.
      for (const deadlineMs of [1, SLEEPING_SERVER_DEADLINE_MS]) {
        const call = duplex(plain, metadata(), deadlineMs);
        const outcome = observe(call);
        call.write({ payload: zeros(27_182) });
        assert.equal((await outcome).status.code, grpc.status.DEADLINE_EXCEEDED);
      }
      return;
    }
    case 'cancel_after_begin': {
      const call = invoke(plain, 'StreamingInputCall', metadata(), callOptions(), () => {});
      const started = call as grpc.ClientWritableStream<StreamingInputCallRequest>;
      const outcome = observe(started);
      // The server answers with its headers at once: then the call is surely under way.
      started.once('metadata', () => started.cancel());
      assert.equal((await outcome).status.code, grpc.status.CANCELLED);
      return;
    }
    case 'cancel_after_first_response': {
      const call = duplex(plain, metadata());
      const outcome = observe(call);
      call.once('data', () => call.cancel());
      call.write({ response_parameters: [{ size: 31_415 }], payload: zeros(27_182) });
      assert.equal((await outcome).status.code, grpc.status.CANCELLED);
      return;
    }
    case 'client_compressed_unary': {
      const request = (expect: boolean): SimpleRequest => ({
        ...largeRequest,
        expect_compressed: { value: expect },
      });
      const probe = await unary(plain, 'UnaryCall', request(true), metadata());
      assert.equal(probe.status.code, grpc.status.INVALID_ARGUMENT, 'the feature probe fails');
      for (const [client, expect] of [
        [gzip, true],
        [plain, false],
      ] as const) {
        const outcome = await unary<SimpleResponse>(
          client,
          'UnaryCall',
          request(expect),
          metadata(),
        );
        assertOk(outcome.status);
        assertZeros(outcome.responses[0], LARGE_RESPONSE_BYTES);
      }
      return;
    }
    case 'server_compressed_unary': {
      for (const compressed of [true, false]) {
        const request = { ...largeRequest, response_compressed: { value: compressed } };
        const outcome = await unary<SimpleResponse>(plain, 'UnaryCall', request, metadata());
        assertOk(outcome.status);
        assertZeros(outcome.responses[0], LARGE_RESPONSE_BYTES);
      }
      return;
    }
    case 'client_compressed_streaming': {
      const probe = await clientStream(
        plain,
        [[{ expect_compressed: { value: true }, payload: zeros(27_182) }]],
        metadata(),
      );
      assert.equal(probe.status.code, grpc.status.INVALID_ARGUMENT, 'the feature probe fails');
      const outcome = await clientStream<StreamingInputCallResponse>(
        gzip,
        [
          [{ expect_compressed: { value: true }, payload: zeros(27_182) }],
          [{ expect_compressed: { value: false }, payload: zeros(45_904) }, NO_COMPRESS],
        ],
        metadata(),
      );
      assertOk(outcome.status);
      assert.equal(outcome.responses[0]?.aggregated_payload_size, 73_086);
      return;
    }
    case 'server_compressed_streaming': {
      const request = {
        response_parameters: COMPRESSED_STREAM_BYTES.map((size, index) => ({
          size,
          compressed: { value: index === 0 },
        })),
      };
      const call = invoke(plain, 'StreamingOutputCall', request, metadata(), callOptions());
      const outcome = await observe<StreamingOutputCallResponse>(call as AnyCall);
      assertOk(outcome.status);
      assert.deepEqual(outcome.responses.map(bodySize), [...COMPRESSED_STREAM_BYTES]);
      return;
    }
    default:
      throw new Error(`no grpc-js procedure for ${name}`);
  }
}
