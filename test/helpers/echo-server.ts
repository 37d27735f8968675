import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fixturePath } from './repo-root.js';
import { sleep } from './wait.js';

export const ECHO_PROTO = fixturePath('e2e', 'echo.proto');

export interface EchoRequest {
  text?: string;
  blob?: Buffer;
  status?: number;
  statusMessage?: string;
  delayMs?: number;
}
export interface StreamRequest {
  text?: string;
  count?: number;
  intervalMs?: number;
  size?: number;
  holdOpen?: boolean;
}
export interface EchoReply {
  text: string;
  blob: Buffer;
  index: number;
}

const definition = protoLoader.loadSync(ECHO_PROTO, {
  keepCase: false,
  longs: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpctap: { test: { Echo: grpc.ServiceClientConstructor } };
};
export const EchoClient = loaded.grpctap.test.Echo;
export const echoPackageDefinition = definition;

export interface EchoServer {
  readonly port: number;
  readonly server: grpc.Server;
  /** Server-streaming calls still open (`holdOpen`), resolved when they end. */
  readonly cancelled: Promise<void>[];
  close(): Promise<void>;
}

/** Metadata the server sends back: response header `x-echo` and trailer `x-trailer`. */
function echoMetadata(
  call:
    | grpc.ServerUnaryCall<unknown, unknown>
    | grpc.ServerWritableStream<unknown, unknown>
    | grpc.ServerReadableStream<unknown, unknown>
    | grpc.ServerDuplexStream<unknown, unknown>,
): grpc.Metadata {
  const header = new grpc.Metadata();
  const echoed = call.metadata.get('x-echo');
  if (echoed.length > 0) header.set('x-echo', String(echoed[0]));
  call.sendMetadata(header);
  const trailer = new grpc.Metadata();
  trailer.set('x-trailer', 'trailer-value');
  return trailer;
}

/**
 * A grpc-js server for the end-to-end tests: TLS when `tls` is given, otherwise h2c.
 * `options` are grpc-js server options (e.g. message size limits).
 */
export async function startEchoServer(
  tls: { certPem: string; keyPem: string } | null,
  options: grpc.ServerOptions = {},
): Promise<EchoServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    ...options,
  });
  const cancelled: Promise<void>[] = [];
  server.addService(EchoClient.service, {
    async Unary(
      call: grpc.ServerUnaryCall<EchoRequest, EchoReply>,
      callback: grpc.sendUnaryData<EchoReply>,
    ) {
      const trailer = echoMetadata(call);
      const request = call.request;
      if (request.delayMs) await sleep(request.delayMs);
      if (request.status) {
        const metadata = trailer;
        metadata.set('grpc-status-details-bin', Buffer.from('details-bytes'));
        callback({ code: request.status, details: request.statusMessage ?? '', metadata });
        return;
      }
      callback(
        null,
        { text: request.text ?? '', blob: request.blob ?? Buffer.alloc(0), index: 0 },
        trailer,
      );
    },
    async ServerStream(call: grpc.ServerWritableStream<StreamRequest, EchoReply>) {
      const trailer = echoMetadata(call);
      const { count = 0, intervalMs = 0, size = 0, text = '', holdOpen = false } = call.request;
      let gone = false;
      const ended = new Promise<void>((resolve) =>
        call.once('cancelled', () => {
          gone = true;
          resolve();
        }),
      );
      for (let index = 0; index < count && !gone; index++) {
        if (index > 0 && intervalMs) await sleep(intervalMs);
        call.write({ text: `${text}#${index}`, blob: Buffer.alloc(size, index % 251), index });
      }
      if (holdOpen) {
        cancelled.push(ended);
        return;
      }
      if (!gone) call.end(trailer);
    },
    ClientStream(
      call: grpc.ServerReadableStream<EchoRequest, EchoReply>,
      callback: grpc.sendUnaryData<EchoReply>,
    ) {
      const trailer = echoMetadata(call);
      const texts: string[] = [];
      call.on('data', (request: EchoRequest) => texts.push(request.text ?? ''));
      call.on('end', () =>
        callback(
          null,
          { text: texts.join(','), blob: Buffer.alloc(0), index: texts.length },
          trailer,
        ),
      );
    },
    Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      const trailer = echoMetadata(call);
      let index = 0;
      call.on('data', (request: EchoRequest) => {
        call.write({
          text: `echo:${request.text ?? ''}`,
          blob: request.blob ?? Buffer.alloc(0),
          index: index++,
        });
      });
      call.on('end', () => call.end(trailer));
    },
  });
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [
        { cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    server,
    cancelled,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
