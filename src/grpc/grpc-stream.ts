/**
 * The gRPC layer for one stream: channel events in, envelopes out. Pure and synchronous; it never
 * reads a clock (times come from the events) and never throws on anything a peer sends.
 *
 * Lifecycle: request headers give the `send` start, final response headers the `receive` start,
 * each complete Length-Prefixed-Message a `data` envelope, and the call ends once with an `end`
 * envelope followed by the `flow` summary: on response trailers, on a trailers-only response, on
 * a response that ends without trailers, on a stream reset, or on a stream error found here.
 * After that the stream is `finished` and ignores every event.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 */
import {
  assertNever,
  type ChannelEvent,
  type DataReceived,
  type Direction,
  type HeadersReceived,
  type StreamReset,
} from '../http2/channel-event.js';
import { buildStart, type CallTarget } from './build-start.js';
import { classifyFlowType } from './classify-flow-type.js';
import type { GrpcEnvelope, GrpcError } from './grpc-envelope.js';
import {
  findHeader,
  HEADER_AUTHORITY,
  HEADER_CONTENT_TYPE,
  HEADER_GRPC_ENCODING,
  HEADER_HOST,
  HEADER_PATH,
  HEADER_STATUS,
  isPseudoHeader,
} from './grpc-headers.js';
import { mapHttpStatusToGrpc } from './grpc-status.js';
import { isGrpcContentType } from './is-grpc-content-type.js';
import {
  createLengthPrefixedDecoder,
  type LengthPrefixedDecoder,
  type WireMessage,
} from './length-prefixed-decoder.js';
import { parseGrpcPath } from './parse-grpc-path.js';
import { type GrpcStatusFields, readGrpcStatus } from './read-grpc-status.js';
import { readMessagePayload } from './read-message-payload.js';

export interface GrpcStreamOptions {
  /** Largest message accepted, in bytes, both as declared on the wire and after decompression. */
  readonly maxMessageSize: number;
}

/** A stream error found by the layer; the I/O edge resets the stream on both sides. */
export interface ResetRequest {
  readonly code: string;
  readonly reason: string;
  /** RFC 9113 §7 error code for the RST_STREAM frames. */
  readonly http2Code: number;
}

export interface GrpcStepResult {
  readonly envelopes: readonly GrpcEnvelope[];
  /** Lines for stderr (e.g. malformed `:path`), without trailing newline. */
  readonly warnings: readonly string[];
  /** Set when the layer found a stream error: the I/O edge must reset the stream on both sides. */
  readonly reset: ResetRequest | null;
}

export interface GrpcStream {
  /** Feeds one channel event of this stream; returns what it produced. Never throws on peer input. */
  push(event: ChannelEvent): GrpcStepResult;
  /** True once the `flow` envelope has been produced. */
  readonly finished: boolean;
}

/**
 * INTERNAL_ERROR: the HTTP/2 framing was fine, the gRPC content was not (or broke our limits), so
 * PROTOCOL_ERROR would blame the wrong layer. gRPC clients map both to status INTERNAL.
 */
const HTTP2_INTERNAL_ERROR = 2;

/** Longest `:path` quoted in a warning; the record keeps the whole path. */
const MAX_WARNED_PATH = 200;

const NO_STATUS_MESSAGE = 'response carried no grpc-status';

const EMPTY_STEP: GrpcStepResult = Object.freeze({
  envelopes: Object.freeze([]),
  warnings: Object.freeze([]),
  reset: null,
});

interface DirectionState {
  readonly direction: Direction;
  started: boolean;
  ended: boolean;
  encoding: string | null;
  /** False when the body is not gRPC (an error page, say): it is forwarded but not parsed. */
  framed: boolean;
  /** Dropped when the call finishes, with any partial message it held. */
  decoder: LengthPrefixedDecoder | null;
  messages: number;
}

function createDirection(direction: Direction, maxMessageSize: number): DirectionState {
  return {
    direction,
    started: false,
    ended: false,
    encoding: null,
    framed: true,
    decoder: createLengthPrefixedDecoder(maxMessageSize),
    messages: 0,
  };
}

function isTrailersOnlyDropped(name: string): boolean {
  return isPseudoHeader(name) || name === HEADER_CONTENT_TYPE;
}

/** Creates the gRPC layer of one stream whose request `isGrpcContentType`. */
export function createGrpcStream(options: GrpcStreamOptions): GrpcStream {
  const { maxMessageSize } = options;
  const send = createDirection('send', maxMessageSize);
  const receive = createDirection('receive', maxMessageSize);
  let call: CallTarget = { service: '', method: '', path: '', authority: '' };
  let sequence = 0;
  let firstTime = 0;
  let seenEvent = false;
  /** Status and message used when the response carries no `grpc-status`. */
  let fallbackStatus = mapHttpStatusToGrpc(200);
  let fallbackMessage = NO_STATUS_MESSAGE;

  let envelopes: GrpcEnvelope[] | null = null;
  let warnings: string[] | null = null;
  let reset: ResetRequest | null = null;

  function emit(envelope: GrpcEnvelope): void {
    envelopes ??= [];
    envelopes.push(envelope);
  }

  function warn(flowId: string, line: string): void {
    warnings ??= [];
    warnings.push(`flow ${flowId}: ${line}`);
  }

  function finish(event: ChannelEvent, status: number | null): void {
    stream.finished = true;
    send.decoder = null;
    receive.decoder = null;
    emit({
      kind: 'flow',
      flowId: event.streamId,
      time: event.time,
      flowType: classifyFlowType(send.messages, receive.messages),
      state: status === null ? 'error' : 'complete',
      service: call.service,
      method: call.method,
      status,
      requestMessages: send.messages,
      responseMessages: receive.messages,
      durationMs: event.time - firstTime,
    });
  }

  function endWithError(event: ChannelEvent, direction: Direction, error: GrpcError): void {
    emit({
      kind: 'end',
      flowId: event.streamId,
      time: event.time,
      sequence: sequence++,
      direction,
      status: null,
      statusName: null,
      message: '',
      statusDetails: null,
      trailers: [],
      synthetic: false,
      raw: null,
      error,
    });
    finish(event, null);
  }

  function failStream(event: ChannelEvent, state: DirectionState, code: string, reason: string) {
    const side = state.direction === 'send' ? 'client' : 'upstream';
    endWithError(event, state.direction, { code, reason, side });
    reset = { code, reason, http2Code: HTTP2_INTERNAL_ERROR };
  }

  function endWithStatus(event: ChannelEvent, fields: GrpcStatusFields, synthetic: boolean) {
    if (fields.invalidStatus !== null) {
      warn(event.streamId, `invalid grpc-status ${JSON.stringify(fields.invalidStatus)}`);
    }
    const raw = event.kind === 'trailersReceived' ? event.headers : null;
    emit({
      kind: 'end',
      flowId: event.streamId,
      time: event.time,
      sequence: sequence++,
      direction: 'receive',
      status: fields.status,
      statusName: fields.statusName,
      message: fields.message,
      statusDetails: fields.statusDetails,
      trailers: fields.trailers,
      synthetic,
      raw,
      error: null,
    });
    finish(event, fields.status);
  }

  function onRequestHeaders(event: HeadersReceived): void {
    const headers = event.headers;
    const path = findHeader(headers, HEADER_PATH);
    const parsed = parseGrpcPath(path);
    if (parsed === null) {
      const shown =
        path === undefined
          ? 'missing'
          : path.length > MAX_WARNED_PATH
            ? `${JSON.stringify(path.slice(0, MAX_WARNED_PATH))}… (${path.length} characters)`
            : JSON.stringify(path);
      warn(event.streamId, `malformed :path ${shown}, expected /service/method`);
    }
    call = {
      service: parsed?.service ?? '',
      method: parsed?.method ?? '',
      path: path ?? '',
      authority: findHeader(headers, HEADER_AUTHORITY) ?? findHeader(headers, HEADER_HOST) ?? '',
    };
    send.started = true;
    send.ended = event.endStream;
    send.encoding = findHeader(headers, HEADER_GRPC_ENCODING) ?? null;
    emit(buildStart(event, sequence++, call));
  }

  function onResponseHeaders(event: HeadersReceived): void {
    const headers = event.headers;
    const statusText = findHeader(headers, HEADER_STATUS);
    const httpStatus = statusText === undefined ? 200 : Number.parseInt(statusText, 10);
    if (httpStatus >= 100 && httpStatus < 200) return;
    const contentType = findHeader(headers, HEADER_CONTENT_TYPE);
    // A body that is not gRPC (a proxy's 502 page, say) is forwarded untouched but not parsed:
    // reading it as messages would turn the upstream's answer into a stream error of ours.
    if (httpStatus !== 200) {
      receive.framed = false;
      fallbackStatus = mapHttpStatusToGrpc(httpStatus);
      fallbackMessage = `HTTP status ${statusText} without grpc-status`;
    } else if (contentType !== undefined && !isGrpcContentType(contentType)) {
      receive.framed = false;
      fallbackMessage = `response content-type ${JSON.stringify(contentType)} is not gRPC`;
    }
    receive.started = true;
    receive.ended = event.endStream;
    receive.encoding = findHeader(headers, HEADER_GRPC_ENCODING) ?? null;
    emit(buildStart(event, sequence++, call));
    if (event.endStream) {
      const fields = readGrpcStatus(
        headers,
        fallbackStatus,
        fallbackMessage,
        isTrailersOnlyDropped,
      );
      endWithStatus(event, fields, true);
    }
  }

  function onHeaders(event: HeadersReceived): void {
    const state = event.direction === 'send' ? send : receive;
    if (state.started) return;
    if (event.direction === 'send') onRequestHeaders(event);
    else onResponseHeaders(event);
  }

  /** Returns false when the message broke the stream. */
  function emitMessage(event: DataReceived, state: DirectionState, message: WireMessage): boolean {
    const outcome = readMessagePayload(message, state.encoding, maxMessageSize);
    if (outcome.kind === 'tooLarge') {
      failStream(event, state, 'MESSAGE_TOO_LARGE', outcome.reason);
      return false;
    }
    state.messages++;
    emit({
      kind: 'data',
      flowId: event.streamId,
      time: event.time,
      sequence: sequence++,
      direction: state.direction,
      compressed: message.compressed,
      wireLength: message.wireLength,
      length: outcome.length,
      payload: outcome.payload,
      raw: message.raw,
      anomalies: outcome.anomalies,
    });
    return true;
  }

  function onData(event: DataReceived): void {
    const state = event.direction === 'send' ? send : receive;
    if (state.ended || !state.framed || state.decoder === null) return;
    const result = state.decoder.decode(event.data);
    for (const message of result.messages) {
      if (!emitMessage(event, state, message)) return;
    }
    if (result.error !== null) failStream(event, state, result.error.code, result.error.reason);
  }

  /** A direction ended, with (`trailersReceived`) or without (`endReceived`) trailers. */
  function onDirectionEnd(event: ChannelEvent): void {
    const state = event.direction === 'send' ? send : receive;
    if (state.ended) return;
    state.ended = true;
    if (state.framed && state.decoder?.midMessage === true) {
      const reason = `${state.direction === 'send' ? 'request' : 'response'} ended inside a message`;
      failStream(event, state, 'TRUNCATED_MESSAGE', reason);
      return;
    }
    if (event.direction === 'send') return;
    const headers = event.kind === 'trailersReceived' ? event.headers : [];
    endWithStatus(event, readGrpcStatus(headers, fallbackStatus, fallbackMessage), false);
  }

  function onReset(event: StreamReset): void {
    endWithError(event, event.direction, {
      code: event.code,
      reason: event.reason,
      side: event.side,
    });
  }

  function push(event: ChannelEvent): GrpcStepResult {
    if (stream.finished) return EMPTY_STEP;
    if (!seenEvent) {
      seenEvent = true;
      firstTime = event.time;
    }
    switch (event.kind) {
      case 'headersReceived':
        onHeaders(event);
        break;
      case 'informationalReceived':
        break;
      case 'dataReceived':
        onData(event);
        break;
      case 'trailersReceived':
      case 'endReceived':
        onDirectionEnd(event);
        break;
      case 'streamReset':
        onReset(event);
        break;
      default:
        assertNever(event);
    }
    if (envelopes === null && warnings === null) return EMPTY_STEP;
    const step: GrpcStepResult = {
      envelopes: envelopes ?? EMPTY_STEP.envelopes,
      warnings: warnings ?? EMPTY_STEP.warnings,
      reset,
    };
    envelopes = null;
    warnings = null;
    reset = null;
    return step;
  }

  // A data property updated by `finish`, not a getter: see `createLengthPrefixedDecoder`.
  const stream = { push, finished: false };
  return stream;
}
