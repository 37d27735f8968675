/**
 * One gRPC server reflection exchange over `node:http2`: ask which file declares a symbol, then ask
 * for every imported file the answers did not include, on the same bidirectional stream.
 * https://github.com/grpc/grpc/blob/master/doc/server-reflection.md
 */
import http2 from 'node:http2';
import { fromBinary } from '@bufbuild/protobuf';
import { type FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { isWellKnownFile } from './build-file-registry.js';
import {
  createGrpcFrameReader,
  decodeReflectionResponse,
  encodeGrpcFrame,
  encodeReflectionRequest,
  type ReflectionRequest,
} from './reflection-messages.js';

export interface ReflectionCallOptions {
  readonly session: http2.ClientHttp2Session;
  /** `/grpc.reflection.v1.ServerReflection/ServerReflectionInfo` or the v1alpha one. */
  readonly path: string;
  readonly authority: string;
  /** Fully-qualified symbol, e.g. a service name. */
  readonly symbol: string;
  /** Files already at hand, which need not be asked for. */
  readonly isKnownFile: (name: string) => boolean;
  readonly timeoutMs: number;
  readonly maxMessageBytes: number;
  /** Upper bound on `file_by_filename` requests in one exchange. */
  readonly maxFileRequests: number;
}

export type ReflectionCallResult =
  | { readonly kind: 'files'; readonly files: readonly FileDescriptorProto[] }
  /** The server answered the symbol request with an error (usually NOT_FOUND). */
  | { readonly kind: 'notFound'; readonly message: string }
  /** The server does not serve this reflection version. */
  | { readonly kind: 'unimplemented' }
  /** `transient` failures (transport, timeout) may succeed later; others will not. */
  | { readonly kind: 'failed'; readonly reason: string; readonly transient: boolean };

const GRPC_UNIMPLEMENTED = '12';
/** DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE: worth another try later. */
const TRANSIENT_STATUSES = new Set(['4', '8', '14']);

/** Runs the exchange; the promise never rejects. */
export function callReflection(options: ReflectionCallOptions): Promise<ReflectionCallResult> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = options.session.request({
        ':method': 'POST',
        ':path': options.path,
        ':authority': options.authority,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-accept-encoding': 'identity',
        'grpc-timeout': `${options.timeoutMs}m`,
      });
    } catch (error) {
      resolve({ kind: 'failed', reason: describeError(error), transient: true });
      return;
    }
    const files = new Map<string, FileDescriptorProto>();
    const requested = new Set<string>();
    const reader = createGrpcFrameReader(options.maxMessageBytes);
    let outstanding = 0;
    let answered = 0;
    let allAnswered = false;
    let settled = false;

    const finish = (result: ReflectionCallResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // After a complete exchange both sides have ended the stream; anything else is abandoned.
      if (result.kind !== 'files' && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({
        kind: 'failed',
        reason: `no answer within ${options.timeoutMs} ms`,
        transient: true,
      });
    }, options.timeoutMs);
    // The stream keeps the process alive while it is open; the timer alone should not.
    timer.unref();
    const send = (request: ReflectionRequest): void => {
      outstanding++;
      stream.write(encodeGrpcFrame(encodeReflectionRequest(request)));
    };
    const resultOfStatus = (
      status: string | undefined,
      message: string | undefined,
    ): ReflectionCallResult => {
      if (status === GRPC_UNIMPLEMENTED && answered === 0) return { kind: 'unimplemented' };
      if (status !== undefined && status !== '0') {
        const reason = `grpc-status ${status}${message ? `: ${decodePercent(message)}` : ''}`;
        return { kind: 'failed', reason, transient: TRANSIENT_STATUSES.has(status) };
      }
      if (allAnswered) return { kind: 'files', files: [...files.values()] };
      return { kind: 'failed', reason: 'the stream ended before every answer', transient: true };
    };
    /** Takes one answer in; returns the outcome when the exchange cannot go on. */
    const onMessage = (bytes: Uint8Array): ReflectionCallResult | null => {
      outstanding--;
      const first = answered === 0;
      answered++;
      const response = decodeReflectionResponse(bytes);
      if (typeof response === 'string')
        return { kind: 'failed', reason: response, transient: false };
      if (response.kind === 'error' && first) {
        return { kind: 'notFound', message: `${response.code} ${response.message}`.trim() };
      }
      if (response.kind === 'files') {
        for (const raw of response.files) {
          let file: FileDescriptorProto;
          try {
            file = fromBinary(FileDescriptorProtoSchema, raw);
          } catch (error) {
            const reason = `unreadable FileDescriptorProto: ${describeError(error)}`;
            return { kind: 'failed', reason, transient: false };
          }
          if (!files.has(file.name)) files.set(file.name, file);
        }
      }
      for (const file of files.values()) {
        for (const name of file.dependency) {
          const wanted =
            !files.has(name) &&
            !requested.has(name) &&
            !options.isKnownFile(name) &&
            !isWellKnownFile(name);
          if (wanted && requested.size < options.maxFileRequests) {
            requested.add(name);
            send({ kind: 'fileByFilename', filename: name });
          }
        }
      }
      if (outstanding === 0) {
        allAnswered = true;
        stream.end();
      }
      return null;
    };

    stream.on('response', (headers, flags) => {
      const status = headers[':status'];
      if (status !== 200) {
        finish({ kind: 'failed', reason: `HTTP status ${status}`, transient: false });
      } else if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
        // A trailers-only answer (END_STREAM on the headers) carries grpc-status here.
        finish(
          resultOfStatus(headerValue(headers['grpc-status']), headerValue(headers['grpc-message'])),
        );
      }
    });
    stream.on('data', (chunk: Buffer) => {
      for (const result of reader.push(chunk)) {
        if (settled) return;
        const outcome =
          result.kind === 'error'
            ? ({ kind: 'failed', reason: result.reason, transient: false } as const)
            : onMessage(result.message);
        if (outcome !== null) finish(outcome);
      }
    });
    stream.on('trailers', (headers: http2.IncomingHttpHeaders) => {
      finish(
        resultOfStatus(headerValue(headers['grpc-status']), headerValue(headers['grpc-message'])),
      );
    });
    stream.on('error', (error) => {
      finish({ kind: 'failed', reason: describeError(error), transient: true });
    });
    stream.on('close', () => {
      const reason = `the stream closed (code ${stream.rstCode ?? 'none'})`;
      if (allAnswered) finish({ kind: 'files', files: [...files.values()] });
      else finish({ kind: 'failed', reason, transient: true });
    });
    send({ kind: 'fileContainingSymbol', symbol: options.symbol });
  });
}

function headerValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : String(value);
}

/** `grpc-message` is percent-encoded; a malformed one is shown as it came. */
function decodePercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
