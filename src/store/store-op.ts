/**
 * What the store sink sends its writer (in the worker thread): plain data that survives
 * `postMessage`, one op per pipeline item. JSON fields are already strings, so the writer only
 * binds them; byte arrays are the pipeline's own (never reused), packed into one buffer per
 * batch when sent (`store-batch.ts`).
 */
import type { Direction, HeaderList } from '../http2/channel-event.js';

/** A gRPC call's request headers: creates the flow, `active`. */
export interface GrpcStartOp {
  readonly op: 'grpcStart';
  readonly flowId: string;
  readonly time: number;
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly contentType: string;
  readonly timeout: string | null;
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The `connection` record (JSON). */
  readonly connection: string;
  readonly headers: HeaderList;
  /** The `start` record line, as `--record` writes it. */
  readonly line: string;
}

/** The response headers of a call (its `start` with direction `receive`). */
export interface GrpcResponseStartOp {
  readonly op: 'grpcResponseStart';
  readonly flowId: string;
  readonly time: number;
  readonly sequence: number;
  readonly headers: HeaderList;
  readonly line: string;
}

/** One complete message. `raw` is null when it equals the 5-byte prefix and `payload`. */
export interface GrpcDataOp {
  readonly op: 'grpcData';
  readonly flowId: string;
  readonly time: number;
  readonly sequence: number;
  readonly direction: Direction;
  readonly compressed: boolean;
  readonly wireLength: number;
  readonly length: number | null;
  readonly payload: Uint8Array | null;
  readonly raw: Uint8Array | null;
  /** The envelope's anomalies (JSON), null when none. */
  readonly anomalies: string | null;
  /**
   * The decoded view (JSON of `decoded`, `decodedAs`, `anomalies`, `typeName`) when it cannot be
   * made again from the payload (`mustKeepView`), else null.
   */
  readonly view: string | null;
  /** The call's messages are protobuf (a null view is then the payload's schemaless view). */
  readonly protobuf: boolean;
}

/** A call's end: status and trailers, or the error that ended it. */
export interface GrpcEndOp {
  readonly op: 'grpcEnd';
  readonly flowId: string;
  readonly time: number;
  readonly sequence: number;
  readonly direction: Direction;
  readonly status: number | null;
  readonly statusName: string | null;
  readonly message: string;
  readonly trailers: HeaderList;
  /** JSON of the error, null when the call ended with a status. */
  readonly error: string | null;
  readonly line: string;
}

/** A call's summary: the flow becomes `complete` or `error`. */
export interface GrpcFlowOp {
  readonly op: 'grpcFlow';
  readonly flowId: string;
  readonly time: number;
  readonly flowType: string;
  readonly state: 'complete' | 'error';
  readonly status: number | null;
  readonly requestMessages: number;
  readonly responseMessages: number;
  readonly durationMs: number;
  readonly connection: string;
  readonly line: string;
}

/** A finished plain HTTP exchange, with its bodies up to the body cap. */
export interface HttpOp {
  readonly op: 'http';
  readonly flowId: string;
  readonly time: number;
  readonly httpVersion: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly status: number | null;
  readonly state: 'complete' | 'error';
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly clientAddress: string | null;
  readonly clientPort: number | null;
  readonly connection: string | null;
  readonly requestHeaders: HeaderList;
  readonly responseHeaders: HeaderList | null;
  readonly trailers: HeaderList;
  readonly error: string | null;
  readonly requestBody: Uint8Array | null;
  readonly requestBodySize: number;
  readonly responseBody: Uint8Array | null;
  readonly responseBodySize: number;
  readonly line: string;
}

/** A record that belongs to no flow: `earlyResets`, or a `gap` (the store's own or the tail's). */
export interface RecordOp {
  readonly op: 'record';
  readonly kind: 'earlyResets' | 'gap';
  readonly time: number;
  readonly line: string;
}

/** Messages of one flow the sink dropped while its queue was full (the flow says so). */
export interface LostOp {
  readonly op: 'lost';
  readonly flowId: string;
  readonly count: number;
}

export type StoreOp =
  | GrpcStartOp
  | GrpcResponseStartOp
  | GrpcDataOp
  | GrpcEndOp
  | GrpcFlowOp
  | HttpOp
  | RecordOp
  | LostOp;
