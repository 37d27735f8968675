import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import { isGrpcContentType } from '../grpc/is-grpc-content-type.js';
import type {
  ChannelEvent,
  ConnectionInfo,
  Direction,
  HeaderList,
  Side,
  UpstreamInfo,
} from './channel-event.js';
import { describeRequestFailure } from './describe-request-failure.js';
import { describeUpstreamSession } from './describe-upstream-session.js';
import { findHeader, measureHeaderList, toHeaderList, toHeaderObject } from './header-list.js';
import {
  type ClassifiedFailure,
  classifyUpstreamError,
  HTTP2_CANCEL,
  HTTP2_INTERNAL_ERROR,
  HTTP2_NO_ERROR,
  nameHttp2Error,
} from './map-error.js';
import { respondWithFailure } from './respond-failure.js';
import { MAX_HEADER_LIST_BYTES } from './session-settings.js';
import type { OpenStreamObserver, StreamControl } from './stream-observer.js';
import type { PooledSession } from './upstream-pool.js';

const END_STREAM_FLAG = 0x1;
const HEADERS_FRAME = 0x1;
const FRAME_SIZE_ERROR = 0x6;
/**
 * The reset a client gets when its upstream broke mid-response. Not CANCEL: gRPC clients read
 * that as CANCELLED, as if the caller had given up; INTERNAL_ERROR reads as INTERNAL.
 */
const UPSTREAM_BROKE = HTTP2_INTERNAL_ERROR;

export interface ForwardStreamOptions {
  readonly streamId: string;
  readonly clientStream: ServerHttp2Stream;
  /** The request headers in wire order (from the `'stream'` event's raw list). */
  readonly headers: HeaderList;
  /** END_STREAM came with the request headers (no body). */
  readonly endStream: boolean;
  /** Resolves to the upstream session to use; rejection means the upstream cannot be reached. */
  readonly acquire: () => Promise<PooledSession>;
  /** `host:port` of the upstream, for messages. */
  readonly upstreamLabel: string;
  readonly observe: OpenStreamObserver;
  /** The client connection the stream arrived on. */
  readonly connection: ConnectionInfo;
  /** The stream's destination; null when it has none (the route failed). */
  readonly upstream: UpstreamInfo | null;
  readonly log: (line: string) => void;
  /** True once the proxy is shutting down: streams it cuts are then the proxy's doing. */
  readonly shuttingDown: () => boolean;
}

/**
 * Pairs one client stream with one upstream stream and relays everything between them: headers in
 * order, DATA under back-pressure (a side is read only while the other accepts writes), trailers
 * both ways, 1xx responses, trailers-only responses and RST_STREAM codes both ways. Each event is
 * reported to the observer after it has been forwarded.
 */
export function forwardStream(options: ForwardStreamOptions): void {
  const { clientStream, streamId, headers, endStream } = options;
  let upstream: ClientHttp2Stream | null = null;
  let done = false;
  let responseEnded = false;
  /**
   * The response ended without trailers and observers have not been told yet. An upstream may
   * send RST_STREAM right after END_STREAM (a Node server's `close(code)` does), and the client
   * then sees the reset, so the end is reported only once the stream closes without one.
   */
  let endPending = false;
  let requestTrailers: string[] | null = null;
  /**
   * The client ended its request, recorded from the start: Node ends a stream whose last frame
   * carried no data (an empty END_STREAM DATA frame) as soon as it is read, which may be before
   * the upstream stream exists; `onRequestEnd` forwards the end once the relay is attached.
   */
  let requestEnded = endStream;
  let onRequestEnd: (() => void) | null = null;
  let responseTrailers: string[] | null = null;
  let upstreamError: Error | null = null;

  const control: StreamControl = {
    reset(http2Code, reason) {
      abort(http2Code, 'proxy', 'receive', nameHttp2Error(http2Code), reason, 'both');
    },
  };
  const observer = options.observe(
    streamId,
    headers,
    control,
    options.connection,
    options.upstream,
  );
  const emit = observer
    ? (event: ChannelEvent): void => observer.onEvent(event)
    : (_event: ChannelEvent): void => {};
  const base = (direction: Direction) => ({ streamId, direction, time: Date.now() });
  const reportPendingEnd = (): void => {
    if (!endPending) return;
    endPending = false;
    emit({ kind: 'endReceived', ...base('receive') });
  };

  function abort(
    http2Code: number,
    side: Side,
    direction: Direction,
    code: string,
    reason: string,
    close: 'client' | 'upstream' | 'both',
  ): void {
    if (done) return;
    done = true;
    if (close !== 'upstream' && !clientStream.closed) clientStream.close(http2Code);
    if (close !== 'client' && upstream && !upstream.closed) upstream.close(http2Code);
    emit({ kind: 'streamReset', ...base(direction), code, http2Code, reason, side });
  }

  function logFailure(reason: string): void {
    const method = findHeader(headers, ':method') ?? '';
    const path = findHeader(headers, ':path') ?? '';
    options.log(describeRequestFailure({ method, path, upstream: options.upstreamLabel }, reason));
  }

  function fail(failure: ClassifiedFailure): void {
    if (done) return;
    done = true;
    logFailure(failure.reason);
    respondWithFailure(
      clientStream,
      failure,
      isGrpcContentType(findHeader(headers, 'content-type')),
    );
    clientStream.resume();
    emit({
      kind: 'streamReset',
      ...base('receive'),
      code: failure.code,
      http2Code: null,
      reason: failure.reason,
      side: failure.side,
    });
  }

  clientStream.on('error', () => {});
  clientStream.on('trailers', (_headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
    requestTrailers = raw;
  });
  clientStream.once('end', () => {
    requestEnded = true;
    onRequestEnd?.();
  });
  clientStream.on('close', () => {
    if (done) return;
    // The client is done with a response that ended: a reset it sends now does not undo that.
    reportPendingEnd();
    const code = clientStream.rstCode ?? HTTP2_NO_ERROR;
    if (code === HTTP2_NO_ERROR && responseEnded) {
      done = true;
      return;
    }
    if (options.shuttingDown()) {
      abort(
        HTTP2_CANCEL,
        'proxy',
        'receive',
        'PROXY_SHUTDOWN',
        'grpctap is shutting down',
        'upstream',
      );
      return;
    }
    const http2Code = code === HTTP2_NO_ERROR ? HTTP2_CANCEL : code;
    const reason =
      code === HTTP2_NO_ERROR
        ? 'client went away before the response ended'
        : `client reset the stream (${nameHttp2Error(code)})`;
    abort(http2Code, 'client', 'send', nameHttp2Error(http2Code), reason, 'upstream');
  });
  emit({ kind: 'headersReceived', ...base('send'), headers, endStream });
  const headerListSize = measureHeaderList(headers);
  if (headerListSize > MAX_HEADER_LIST_BYTES) {
    fail({
      code: 'REQUEST_HEADERS_TOO_LARGE',
      side: 'client',
      reason: `request header list of ${headerListSize} bytes is over the limit of ${MAX_HEADER_LIST_BYTES}`,
    });
    // The answer is complete; RST_STREAM NO_ERROR (RFC 9113 §8.1) tells the client to stop
    // sending, so a stream that never ends its request cannot keep its headers in memory.
    if (!endStream) setImmediate(() => clientStream.close(HTTP2_NO_ERROR));
    return;
  }

  // Node runs promise callbacks between the frames of one read, so a stream opened from here
  // directly would reach the upstream before a RST_STREAM that arrived in the same read: the
  // rapid-reset pattern (CVE-2023-44487) would become thousands of upstream streams on a session
  // other clients share. Waiting for the check phase lets the whole read be processed first.
  setImmediate(() => {
    if (done || clientStream.destroyed) return;
    options.acquire().then(
      (pooled) => {
        if (done || clientStream.destroyed) {
          pooled.release();
          return;
        }
        try {
          upstream = pooled.request(toHeaderObject(headers), {
            endStream,
            waitForTrailers: !endStream,
          });
        } catch (error) {
          fail(classifyUpstreamError(error, options.upstreamLabel));
          return;
        }
        if (observer?.onUpstream && options.upstream) {
          observer.onUpstream(describeUpstreamSession(pooled.session, options.upstream));
        }
        relay(upstream, pooled.session);
      },
      (error: unknown) => fail(classifyUpstreamError(error, options.upstreamLabel)),
    );
  });

  function relay(up: ClientHttp2Stream, upstreamSession: ClientHttp2Session): void {
    /** A frame our own HTTP/2 layer refused to send upstream (the stream then closes). */
    let unsent: ClassifiedFailure | null = null;
    /** The response was one HEADERS frame with END_STREAM (trailers-only): nothing to flush. */
    let headersOnly = false;
    let trailersSent = false;
    let stopClientAfterTrailers = false;
    /**
     * RST_STREAM NO_ERROR (RFC 9113 §8.1) tells a client still sending that the response is
     * complete. Node drops unwritten trailers from a stream it resets and writes them on the next
     * turn of the event loop, so the reset waits for that turn.
     */
    const stopClient = (): void => {
      setImmediate(() => {
        if (!clientStream.closed && !requestEnded) clientStream.close(HTTP2_NO_ERROR);
      });
    };
    up.on('error', (error: Error) => {
      upstreamError = error;
    });
    up.on('frameError', (type: number, code: number) => {
      // Node refuses to send a header block over `maxSendHeaderBlockLength`; such a stream never
      // reached the upstream, so it must not read as the upstream's reset.
      unsent =
        type === HEADERS_FRAME && code === FRAME_SIZE_ERROR
          ? {
              code: 'REQUEST_HEADERS_TOO_LARGE',
              side: 'client',
              reason: `request headers not sent to ${options.upstreamLabel}: the header block is larger than HTTP/2 lets us send`,
            }
          : {
              code: 'UPSTREAM_FRAME_ERROR',
              side: 'proxy',
              reason: `could not send a frame of type ${type} to ${options.upstreamLabel} (${nameHttp2Error(code)})`,
            };
    });
    if (!endStream) {
      clientStream.on('data', (chunk: Buffer) => {
        if (!up.write(chunk)) clientStream.pause();
        emit({ kind: 'dataReceived', ...base('send'), data: chunk });
      });
      up.on('drain', () => clientStream.resume());
      up.on('wantTrailers', () => {
        up.sendTrailers(requestTrailers ? toHeaderObject(toHeaderList(requestTrailers)) : {});
      });
      onRequestEnd = () => {
        if (done) return;
        up.end();
        emit(
          requestTrailers
            ? { kind: 'trailersReceived', ...base('send'), headers: toHeaderList(requestTrailers) }
            : { kind: 'endReceived', ...base('send') },
        );
      };
      if (requestEnded) onRequestEnd();
    }

    up.on('headers', (_headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
      if (done || clientStream.headersSent) return;
      const list = toHeaderList(raw);
      clientStream.additionalHeaders(toHeaderObject(list));
      emit({ kind: 'informationalReceived', ...base('receive'), headers: list });
    });
    /**
     * Response bytes that arrived before the 'response' event. Node emits 'response' on the next
     * tick but can emit DATA read in the same packet at once; writing it to the client first
     * would make Node send default headers (and the real ones would then throw).
     */
    let early: Buffer[] | null = [];
    let endedEarly = false;
    const forwardData = (chunk: Buffer): void => {
      if (!clientStream.write(chunk)) up.pause();
      emit({ kind: 'dataReceived', ...base('receive'), data: chunk });
    };
    const finishResponse = (): void => {
      responseEnded = true;
      clientStream.end();
      if (responseTrailers) {
        emit({
          kind: 'trailersReceived',
          ...base('receive'),
          headers: toHeaderList(responseTrailers),
        });
      } else {
        endPending = true;
      }
    };
    up.on('response', (_headers: IncomingHttpHeaders, flags: number, raw: string[]) => {
      if (done || clientStream.destroyed) return;
      const list = toHeaderList(raw);
      const ended = (flags & END_STREAM_FLAG) !== 0;
      responseEnded = ended;
      headersOnly = ended;
      const respondOptions = ended
        ? { endStream: true, sendDate: false }
        : { waitForTrailers: true, sendDate: false };
      clientStream.respond(toHeaderObject(list), respondOptions);
      emit({ kind: 'headersReceived', ...base('receive'), headers: list, endStream: ended });
      const held = early ?? [];
      early = null;
      if (held.length > 0) up.resume();
      for (const chunk of held) if (!done) forwardData(chunk);
      if (endedEarly && !done && !responseEnded) finishResponse();
    });
    up.on('data', (chunk: Buffer) => {
      if (done) return;
      if (early !== null) {
        early.push(chunk);
        up.pause();
        return;
      }
      forwardData(chunk);
    });
    clientStream.on('drain', () => up.resume());
    up.on('trailers', (_headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
      responseTrailers = raw;
    });
    clientStream.on('wantTrailers', () => {
      clientStream.sendTrailers(
        responseTrailers ? toHeaderObject(toHeaderList(responseTrailers)) : {},
      );
      trailersSent = true;
      if (stopClientAfterTrailers) stopClient();
    });
    /** The upstream's readable side ended; whether that was END_STREAM is decided below. */
    let upstreamEnded = false;
    const endResponse = (): void => {
      if (done || responseEnded || up.rstCode) return;
      if (early !== null) {
        endedEarly = true;
        return;
      }
      finishResponse();
    };
    up.on('end', () => {
      // Node also ends the readable side of a stream reset by the upstream or torn down with its
      // session, sometimes before the reset code is set (DATA and RST_STREAM in one read); those
      // are reported by the 'close' handler. One turn later the code is known, unless 'close'
      // comes first and ends the response itself.
      upstreamEnded = true;
      if (done || responseEnded || up.rstCode) return;
      setImmediate(endResponse);
    });
    up.on('close', () => {
      if (done) return;
      if (unsent !== null) {
        const failure: ClassifiedFailure = unsent;
        if (!clientStream.headersSent) {
          fail(failure);
          return;
        }
        logFailure(failure.reason);
        abort(HTTP2_INTERNAL_ERROR, failure.side, 'send', failure.code, failure.reason, 'client');
        return;
      }
      const code = up.rstCode ?? HTTP2_NO_ERROR;
      if (code === HTTP2_NO_ERROR && upstreamEnded) endResponse();
      if (code === HTTP2_NO_ERROR && responseEnded) {
        reportPendingEnd();
        if (clientStream.closed || requestEnded) return;
        if (headersOnly) clientStream.close(HTTP2_NO_ERROR);
        else if (trailersSent) stopClient();
        else stopClientAfterTrailers = true;
        return;
      }
      if (code === HTTP2_NO_ERROR) {
        const failure = classifyUpstreamError(
          upstreamError ?? Object.assign(new Error('stream closed'), { code: 'ECONNRESET' }),
          options.upstreamLabel,
        );
        if (!clientStream.headersSent) {
          fail(failure);
          return;
        }
        logFailure(failure.reason);
        abort(UPSTREAM_BROKE, 'upstream', 'receive', failure.code, failure.reason, 'client');
        return;
      }
      if (upstreamSession.destroyed) {
        const reason = `upstream connection to ${options.upstreamLabel} closed mid-stream`;
        if (!clientStream.headersSent) {
          fail({ code: 'UPSTREAM_CONNECTION_CLOSED', side: 'upstream', reason });
          return;
        }
        logFailure(reason);
        abort(
          UPSTREAM_BROKE,
          'upstream',
          'receive',
          'UPSTREAM_CONNECTION_CLOSED',
          reason,
          'client',
        );
        return;
      }
      const reason = upstreamError
        ? `upstream reset the stream (${nameHttp2Error(code)}): ${upstreamError.message}`
        : `upstream reset the stream (${nameHttp2Error(code)})`;
      logFailure(reason);
      abort(code, 'upstream', 'receive', nameHttp2Error(code), reason, 'client');
    });
  }
}
