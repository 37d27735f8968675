import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GrpcEnd, GrpcEnvelope, GrpcFlow } from '../../src/grpc/grpc-envelope.js';
import type { HeaderList } from '../../src/http2/channel-event.js';
import {
  data,
  end,
  frame,
  requestHeaders,
  responseHeaders,
  runTranscript,
  STREAM_ID,
  T0,
  trailers,
} from './grpc-transcript.js';

function endOf(envelopes: readonly GrpcEnvelope[]): GrpcEnd {
  const found = envelopes.find((e): e is GrpcEnd => e.kind === 'end');
  assert.ok(found, 'an end envelope');
  return found;
}

function flowOf(envelopes: readonly GrpcEnvelope[]): GrpcFlow {
  const found = envelopes.at(-1);
  assert.equal(found?.kind, 'flow');
  return found;
}

/** A call whose response ends with `list` as trailers. */
function endWithTrailers(list: HeaderList) {
  return runTranscript([requestHeaders(), end('send'), responseHeaders(), trailers(list)]);
}

describe('createGrpcStream: trailers', () => {
  it('reads status, percent-decoded message, details and the other trailers', () => {
    const list: HeaderList = [
      ['grpc-status', '5'],
      ['x-a', '1'],
      ['grpc-message', 'no user %22ada%22 %E2%9C%93 100%'],
      ['grpc-status-details-bin', 'CAUSBm5vIHVzZXI'],
      ['x-a', '2'],
    ];
    const outcome = endWithTrailers(list);
    assert.deepEqual(endOf(outcome.envelopes), {
      kind: 'end',
      flowId: STREAM_ID,
      time: T0 + 5,
      sequence: 2,
      direction: 'receive',
      status: 5,
      statusName: 'NOT_FOUND',
      message: 'no user "ada" ✓ 100%',
      statusDetails: new Uint8Array(Buffer.from('CAUSBm5vIHVzZXI=', 'base64')),
      trailers: [
        ['x-a', '1'],
        ['x-a', '2'],
      ],
      synthetic: false,
      raw: list,
      error: null,
    });
    const flow = flowOf(outcome.envelopes);
    assert.deepEqual([flow.state, flow.status], ['complete', 5]);
    assert.deepEqual(outcome.warnings, []);
  });

  it('names codes outside the canonical range CODE_<n>', () => {
    const endEnvelope = endOf(endWithTrailers([['grpc-status', '20']]).envelopes);
    assert.deepEqual([endEnvelope.status, endEnvelope.statusName], [20, 'CODE_20']);
  });

  it('reads a missing grpc-status as UNKNOWN and says so in the message', () => {
    const endEnvelope = endOf(endWithTrailers([['x-only', 'y']]).envelopes);
    assert.deepEqual(
      [endEnvelope.status, endEnvelope.statusName, endEnvelope.message],
      [2, 'UNKNOWN', 'response carried no grpc-status'],
    );
  });

  it('reads an invalid grpc-status as UNKNOWN with a warning', () => {
    const outcome = endWithTrailers([
      ['grpc-status', 'abc'],
      ['grpc-message', 'boom'],
    ]);
    const endEnvelope = endOf(outcome.envelopes);
    assert.deepEqual([endEnvelope.status, endEnvelope.message], [2, 'boom']);
    assert.deepEqual(outcome.warnings, [`flow ${STREAM_ID}: invalid grpc-status "abc"`]);
  });

  it('ends the call on a response that ends without trailers, as UNKNOWN', () => {
    const outcome = runTranscript([
      requestHeaders(),
      end('send'),
      responseHeaders(),
      data('receive', frame('r')),
      end('receive', T0 + 8),
    ]);
    const endEnvelope = endOf(outcome.envelopes);
    assert.deepEqual(
      [endEnvelope.status, endEnvelope.synthetic, endEnvelope.raw, endEnvelope.trailers],
      [2, false, null, []],
    );
    assert.equal(endEnvelope.time, T0 + 8);
    assert.equal(flowOf(outcome.envelopes).durationMs, 8);
  });

  it('ends the call when the server answers before the request is complete', () => {
    const outcome = runTranscript([
      requestHeaders(),
      data('send', frame('part').subarray(0, 6)),
      responseHeaders(),
      trailers([['grpc-status', '8']]),
    ]);
    assert.equal(endOf(outcome.envelopes).statusName, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(outcome.resets, []);
  });
});

describe('createGrpcStream: trailers-only responses', () => {
  it('gives a start and a synthetic end from the one HEADERS frame', () => {
    const headers: HeaderList = [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '12'],
      ['grpc-message', 'unknown%20method'],
      ['x-why', 'because'],
    ];
    const outcome = runTranscript([
      requestHeaders(),
      end('send'),
      responseHeaders(headers, T0 + 3, true),
      end('receive', T0 + 3),
    ]);
    assert.deepEqual(outcome.perEvent, [1, 0, 3, 0]);
    assert.deepEqual(outcome.envelopes.slice(1), [
      {
        kind: 'start',
        flowId: STREAM_ID,
        time: T0 + 3,
        sequence: 1,
        direction: 'receive',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        path: '/helloworld.Greeter/SayHello',
        authority: 'localhost:50051',
        contentType: 'application/grpc',
        encoding: null,
        acceptEncoding: null,
        timeout: null,
        metadata: [
          ['grpc-status', '12'],
          ['grpc-message', 'unknown%20method'],
          ['x-why', 'because'],
        ],
        headers,
      },
      {
        kind: 'end',
        flowId: STREAM_ID,
        time: T0 + 3,
        sequence: 2,
        direction: 'receive',
        status: 12,
        statusName: 'UNIMPLEMENTED',
        message: 'unknown method',
        statusDetails: null,
        trailers: [['x-why', 'because']],
        synthetic: true,
        raw: null,
        error: null,
      },
      {
        kind: 'flow',
        flowId: STREAM_ID,
        time: T0 + 3,
        flowType: 'unary',
        state: 'complete',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        status: 12,
        requestMessages: 0,
        responseMessages: 0,
        durationMs: 3,
      },
    ]);
  });

  const mapped: [string, number, string][] = [
    ['400', 13, 'INTERNAL'],
    ['401', 16, 'UNAUTHENTICATED'],
    ['403', 7, 'PERMISSION_DENIED'],
    ['404', 12, 'UNIMPLEMENTED'],
    ['429', 14, 'UNAVAILABLE'],
    ['502', 14, 'UNAVAILABLE'],
    ['503', 14, 'UNAVAILABLE'],
    ['504', 14, 'UNAVAILABLE'],
    ['500', 2, 'UNKNOWN'],
    ['200', 2, 'UNKNOWN'],
  ];
  for (const [httpStatus, code, name] of mapped) {
    it(`maps HTTP ${httpStatus} without grpc-status to ${name}`, () => {
      const outcome = runTranscript([
        requestHeaders(),
        responseHeaders([[':status', httpStatus]], T0 + 1, true),
      ]);
      const endEnvelope = endOf(outcome.envelopes);
      assert.deepEqual(
        [endEnvelope.status, endEnvelope.statusName, endEnvelope.synthetic],
        [code, name, true],
      );
      const expected =
        httpStatus === '200'
          ? 'response carried no grpc-status'
          : `HTTP status ${httpStatus} without grpc-status`;
      assert.equal(endEnvelope.message, expected);
    });
  }

  it('prefers grpc-status over the HTTP status', () => {
    const outcome = runTranscript([
      requestHeaders(),
      responseHeaders(
        [
          [':status', '503'],
          ['grpc-status', '8'],
        ],
        T0 + 1,
        true,
      ),
    ]);
    assert.equal(endOf(outcome.envelopes).status, 8);
  });
});

describe('createGrpcStream: responses that are not gRPC', () => {
  it('does not parse the body of an error response and maps its HTTP status', () => {
    const outcome = runTranscript([
      requestHeaders(),
      end('send'),
      responseHeaders([
        [':status', '502'],
        ['content-type', 'text/html'],
      ]),
      data('receive', new TextEncoder().encode('<html>Bad Gateway</html>')),
      end('receive', T0 + 6),
    ]);
    assert.deepEqual(
      outcome.envelopes.map((e) => e.kind),
      ['start', 'start', 'end', 'flow'],
    );
    const endEnvelope = endOf(outcome.envelopes);
    assert.deepEqual(
      [endEnvelope.status, endEnvelope.message, endEnvelope.synthetic, endEnvelope.raw],
      [14, 'HTTP status 502 without grpc-status', false, null],
    );
    assert.deepEqual(outcome.resets, []);
  });

  it('does not parse a 200 body that is not gRPC, and takes a status from its trailers', () => {
    const outcome = runTranscript([
      requestHeaders(),
      end('send'),
      responseHeaders([
        [':status', '200'],
        ['content-type', 'text/plain'],
      ]),
      data('receive', new TextEncoder().encode('hello')),
      end('receive'),
    ]);
    const endEnvelope = endOf(outcome.envelopes);
    assert.deepEqual(
      [endEnvelope.status, endEnvelope.message],
      [2, 'response content-type "text/plain" is not gRPC'],
    );
    const withTrailers = runTranscript([
      requestHeaders(),
      responseHeaders([[':status', '404']]),
      data('receive', new Uint8Array([0xff, 0xff])),
      trailers([['grpc-status', '3']]),
    ]);
    assert.equal(endOf(withTrailers.envelopes).statusName, 'INVALID_ARGUMENT');
  });
});
