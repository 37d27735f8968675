/**
 * The interop TestService on a grpc-js server, with the server features of gRPC's interop
 * descriptions: EmptyCall, UnaryCall, StreamingInputCall, StreamingOutputCall and FullDuplexCall,
 * Echo Status, Echo Metadata, ResponseParameters.interval_us. UnimplementedCall is declared and
 * left out, so grpc-js answers it UNIMPLEMENTED.
 *
 * grpc-js 1.14 neither compresses what its server sends (every message goes out with flag 0) nor
 * tells a handler whether a request message was compressed, so this server cannot serve
 * CompressedResponse or CompressedRequest: a request asking for either fails INVALID_ARGUMENT.
 * `wire-test-service.ts` serves those cases.
 *
 * Streaming handlers send their response headers at once, so a client can tell the call reached
 * the server (cancel_after_begin waits for them).
 */
import * as grpc from '@grpc/grpc-js';
import { sleep } from '../helpers/wait.js';
import {
  type BoolValue,
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  type EchoStatus,
  type SimpleRequest,
  type SimpleResponse,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
  TestServiceClient,
  zeros,
} from './interop-messages.js';

type AnyCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

/** Echo Metadata: the request's `x-grpc-test-echo-initial`, for the response headers. */
function echoedInitial(call: AnyCall): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const [value] = call.metadata.get(ECHO_INITIAL_KEY);
  if (value !== undefined) metadata.set(ECHO_INITIAL_KEY, value);
  return metadata;
}

/** Echo Metadata: the request's `x-grpc-test-echo-trailing-bin`, for the trailers. */
function echoedTrailing(call: AnyCall): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const [value] = call.metadata.get(ECHO_TRAILING_KEY);
  if (value !== undefined) metadata.set(ECHO_TRAILING_KEY, value);
  return metadata;
}

/** The status a request asks for (Echo Status), or one for a feature this server lacks. */
function requestedFailure(
  request: {
    response_status?: EchoStatus | null;
    response_compressed?: BoolValue | null;
    expect_compressed?: BoolValue | null;
  },
  trailing: grpc.Metadata,
): Partial<grpc.StatusObject> | null {
  if (request.response_compressed?.value || request.expect_compressed) {
    return {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'grpc-js cannot compress responses or see whether a request was compressed',
      metadata: trailing,
    };
  }
  const code = request.response_status?.code ?? 0;
  if (code === 0) return null;
  return { code, details: request.response_status?.message ?? '', metadata: trailing };
}

/** Writes one response per parameter, honouring `interval_us` and flow control. */
async function writeResponses(
  call:
    | grpc.ServerWritableStream<StreamingOutputCallRequest, StreamingOutputCallResponse>
    | grpc.ServerDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>,
  request: StreamingOutputCallRequest,
  gone: () => boolean,
): Promise<void> {
  for (const parameters of request.response_parameters ?? []) {
    if (gone()) return;
    if (parameters.interval_us) await sleep(parameters.interval_us / 1000);
    if (gone()) return;
    if (!call.write({ payload: zeros(parameters.size ?? 0) })) {
      await new Promise((resolve) => call.once('drain', resolve));
    }
  }
}

const implementation: grpc.UntypedServiceImplementation = {
  EmptyCall(_call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) {
    callback(null, {});
  },

  UnaryCall(
    call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>,
    callback: grpc.sendUnaryData<SimpleResponse>,
  ) {
    call.sendMetadata(echoedInitial(call));
    const trailing = echoedTrailing(call);
    const failure = requestedFailure(call.request, trailing);
    if (failure) callback(failure);
    else callback(null, { payload: zeros(call.request.response_size ?? 0) }, trailing);
  },

  StreamingInputCall(
    call: grpc.ServerReadableStream<StreamingInputCallRequest, StreamingInputCallResponse>,
    callback: grpc.sendUnaryData<StreamingInputCallResponse>,
  ) {
    call.sendMetadata(echoedInitial(call));
    const trailing = echoedTrailing(call);
    let total = 0;
    let failure: Partial<grpc.StatusObject> | null = null;
    call.on('data', (request: StreamingInputCallRequest) => {
      failure ??= requestedFailure(request, trailing);
      total += request.payload?.body?.length ?? 0;
    });
    call.on('end', () => {
      if (failure) callback(failure);
      else callback(null, { aggregated_payload_size: total }, trailing);
    });
  },

  async StreamingOutputCall(
    call: grpc.ServerWritableStream<StreamingOutputCallRequest, StreamingOutputCallResponse>,
  ) {
    call.sendMetadata(echoedInitial(call));
    const trailing = echoedTrailing(call);
    let gone = false;
    call.once('cancelled', () => {
      gone = true;
    });
    const failure = requestedFailure(call.request, trailing);
    if (failure) {
      call.emit('error', failure);
      return;
    }
    await writeResponses(call, call.request, () => gone);
    if (!gone) call.end(trailing);
  },

  FullDuplexCall(
    call: grpc.ServerDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>,
  ) {
    call.sendMetadata(echoedInitial(call));
    const trailing = echoedTrailing(call);
    let finished = false;
    call.once('cancelled', () => {
      finished = true;
    });
    let queue = Promise.resolve();
    call.on('data', (request: StreamingOutputCallRequest) => {
      queue = queue.then(async () => {
        if (finished) return;
        const failure = requestedFailure(request, trailing);
        if (failure) {
          finished = true;
          call.emit('error', failure);
          return;
        }
        await writeResponses(call, request, () => finished);
      });
    });
    call.on('end', () => {
      queue = queue.then(() => {
        if (finished) return;
        finished = true;
        call.end(trailing);
      });
    });
  },
};

export interface TestServiceServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the grpc-js TestService over TLS with `tls` (a `localhost` certificate). */
export async function startGrpcJsTestService(tls: {
  readonly certPem: string;
  readonly keyPem: string;
}): Promise<TestServiceServer> {
  const server = new grpc.Server();
  server.addService(TestServiceClient.service, implementation);
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) },
  ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    close: async () => server.forceShutdown(),
  };
}
