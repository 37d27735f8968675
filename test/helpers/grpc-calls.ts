import * as grpc from '@grpc/grpc-js';
import type { EchoReply, EchoRequest, StreamRequest } from './echo-server.js';

/** The four call kinds of the Echo service as promises, for tests. */
export interface CallResult<T> {
  readonly value: T;
  readonly headers: grpc.Metadata;
  readonly trailers: grpc.Metadata;
}

/** grpc-js generated clients have no static method types. */
type Method = (...args: unknown[]) => unknown;

function method(client: grpc.Client, name: string): Method {
  const fn = (client as unknown as Record<string, Method | undefined>)[name];
  if (!fn) throw new Error(`no method ${name}`);
  return fn.bind(client);
}

export function callUnary(
  client: grpc.Client,
  request: EchoRequest,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<CallResult<EchoReply>> {
  return new Promise((resolve, reject) => {
    let headers = new grpc.Metadata();
    let trailers = new grpc.Metadata();
    let value: EchoReply | undefined;
    let settled = 0;
    const finish = (): void => {
      if (++settled === 2 && value) resolve({ value, headers, trailers });
    };
    const call = method(client, 'Unary')(
      request,
      metadata,
      options,
      (error: grpc.ServiceError | null, reply: EchoReply) => {
        if (error) reject(error);
        else {
          value = reply;
          finish();
        }
      },
    ) as grpc.ClientUnaryCall;
    call.on('metadata', (m: grpc.Metadata) => {
      headers = m;
    });
    call.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
      finish();
    });
  });
}

export function callServerStream(
  client: grpc.Client,
  request: StreamRequest,
  metadata = new grpc.Metadata(),
  onReply?: (reply: EchoReply, call: grpc.ClientReadableStream<EchoReply>) => void,
): Promise<CallResult<EchoReply[]>> {
  return new Promise((resolve, reject) => {
    const replies: EchoReply[] = [];
    let headers = new grpc.Metadata();
    const call = method(client, 'ServerStream')(
      request,
      metadata,
    ) as grpc.ClientReadableStream<EchoReply>;
    call.on('metadata', (m: grpc.Metadata) => {
      headers = m;
    });
    call.on('data', (reply: EchoReply) => {
      replies.push(reply);
      onReply?.(reply, call);
    });
    call.on('error', reject);
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK)
        resolve({ value: replies, headers, trailers: status.metadata });
    });
  });
}

export function callClientStream(
  client: grpc.Client,
  requests: readonly EchoRequest[],
  metadata = new grpc.Metadata(),
): Promise<CallResult<EchoReply>> {
  return new Promise((resolve, reject) => {
    let headers = new grpc.Metadata();
    let value: EchoReply | undefined;
    let trailers: grpc.Metadata | undefined;
    const finish = (): void => {
      if (value && trailers) resolve({ value, headers, trailers });
    };
    const call = method(client, 'ClientStream')(
      metadata,
      (error: grpc.ServiceError | null, reply: EchoReply) => {
        if (error) reject(error);
        else {
          value = reply;
          finish();
        }
      },
    ) as grpc.ClientWritableStream<EchoRequest>;
    call.on('metadata', (m: grpc.Metadata) => {
      headers = m;
    });
    call.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
      finish();
    });
    for (const request of requests) call.write(request);
    call.end();
  });
}

export function callBidi(
  client: grpc.Client,
  requests: readonly EchoRequest[],
  metadata = new grpc.Metadata(),
): Promise<CallResult<EchoReply[]>> {
  return new Promise((resolve, reject) => {
    const replies: EchoReply[] = [];
    let headers = new grpc.Metadata();
    const call = method(client, 'Bidi')(metadata) as grpc.ClientDuplexStream<
      EchoRequest,
      EchoReply
    >;
    call.on('metadata', (m: grpc.Metadata) => {
      headers = m;
    });
    let next = 0;
    const send = (): void => {
      const request = requests[next++];
      if (request) call.write(request);
      else call.end();
    };
    call.on('data', (reply: EchoReply) => {
      replies.push(reply);
      send();
    });
    call.on('error', reject);
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK)
        resolve({ value: replies, headers, trailers: status.metadata });
    });
    send();
  });
}
