/**
 * Envelopes: what the gRPC layer makes of a stream's channel events. Field meanings follow the
 * public record contract (`docs/records.md`); byte fields stay as bytes here and are encoded
 * (base64) only when a record is serialized.
 */
import type { Direction, HeaderList, Side } from '../http2/channel-event.js';

interface EnvelopeBase {
  /** Unique per RPC (the stream id). */
  readonly flowId: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

interface SequencedBase extends EnvelopeBase {
  /** One counter per flow across both directions, from 0, in observation order. */
  readonly sequence: number;
  readonly direction: Direction;
}

/** A problem seen in the traffic that did not stop forwarding (e.g. an unknown `grpc-encoding`). */
export interface Anomaly {
  readonly code: string;
  readonly message: string;
}

export interface GrpcStart extends SequencedBase {
  readonly kind: 'start';
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly contentType: string;
  readonly encoding: string | null;
  readonly acceptEncoding: string | null;
  /** The raw `grpc-timeout` value. */
  readonly timeout: string | null;
  readonly metadata: HeaderList;
  readonly headers: HeaderList;
}

export interface GrpcData extends SequencedBase {
  readonly kind: 'data';
  readonly compressed: boolean;
  /** The declared 4-byte length. */
  readonly wireLength: number;
  /** Decompressed length; equals `wireLength` when not compressed; null when it cannot be read. */
  readonly length: number | null;
  /** The decompressed message; null when the encoding cannot be decoded. */
  readonly payload: Uint8Array | null;
  /** The exact wire bytes: 5-byte prefix plus wire payload. */
  readonly raw: Uint8Array;
  readonly anomalies: readonly Anomaly[];
}

export interface GrpcError {
  readonly code: string;
  readonly reason: string;
  readonly side: Side;
}

export interface GrpcEnd extends SequencedBase {
  readonly kind: 'end';
  /** `grpc-status`; null when the stream ended by reset or failure. */
  readonly status: number | null;
  readonly statusName: string | null;
  /** Percent-decoded `grpc-message`; empty when absent. */
  readonly message: string;
  readonly statusDetails: Uint8Array | null;
  /** Trailers other than `grpc-status`, `grpc-message`, `grpc-status-details-bin`, in order. */
  readonly trailers: HeaderList;
  /** True when made from a trailers-only response's headers. */
  readonly synthetic: boolean;
  /** The complete trailer list as received; null when synthetic or when there were none. */
  readonly raw: HeaderList | null;
  readonly error: GrpcError | null;
}

export type FlowType = 'unary' | 'stream' | 'bidirectional';

export interface GrpcFlow extends EnvelopeBase {
  readonly kind: 'flow';
  readonly flowType: FlowType;
  readonly state: 'complete' | 'error';
  readonly service: string;
  readonly method: string;
  readonly status: number | null;
  readonly requestMessages: number;
  readonly responseMessages: number;
  readonly durationMs: number;
}

export type GrpcEnvelope = GrpcStart | GrpcData | GrpcEnd | GrpcFlow;
