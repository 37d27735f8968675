import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GrpcEnvelope } from '../../src/grpc/grpc-envelope.js';
import { createGrpcStream } from '../../src/grpc/grpc-stream.js';
import {
  assertSameInEveryChunking,
  bytes,
  concat,
  data,
  end,
  frame,
  informational,
  OK_TRAILERS,
  REQUEST_HEADERS,
  RESPONSE_HEADERS,
  requestHeaders,
  responseHeaders,
  runTranscript,
  STREAM_ID,
  T0,
  trailers,
} from './grpc-transcript.js';

/** The raw wire bytes and payload view of an uncompressed message, as the layer reports them. */
function wire(payload: string) {
  const raw = frame(payload);
  return { raw, payload: raw.subarray(5) };
}

describe('createGrpcStream: a unary call', () => {
  const request = wire('hello');
  const response = wire('world!');
  const requestHeaderList = [
    ...REQUEST_HEADERS,
    ['grpc-timeout', '1S'],
    ['grpc-accept-encoding', 'identity,gzip'],
    ['x-user', 'ada'],
    ['x-user', 'grace'],
    ['grpc-encoding', 'identity'],
    ['trace-bin', 'AAEC'],
  ] as const;
  const events = [
    requestHeaders(requestHeaderList),
    data('send', request.raw, T0 + 1),
    end('send', T0 + 1),
    responseHeaders([...RESPONSE_HEADERS, ['grpc-accept-encoding', 'gzip'], ['x-served-by', 'a']]),
    data('receive', response.raw, T0 + 3),
    trailers([...OK_TRAILERS, ['x-cost', '7']], T0 + 9),
  ];

  it('produces start, data and end in both directions, then the flow', () => {
    const outcome = runTranscript(events);
    const expected: GrpcEnvelope[] = [
      {
        kind: 'start',
        flowId: STREAM_ID,
        time: T0,
        sequence: 0,
        direction: 'send',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        path: '/helloworld.Greeter/SayHello',
        authority: 'localhost:50051',
        contentType: 'application/grpc',
        encoding: 'identity',
        acceptEncoding: 'identity,gzip',
        timeout: '1S',
        metadata: [
          ['te', 'trailers'],
          ['x-user', 'ada'],
          ['x-user', 'grace'],
          ['trace-bin', 'AAEC'],
        ],
        headers: requestHeaderList,
      },
      {
        kind: 'data',
        flowId: STREAM_ID,
        time: T0 + 1,
        sequence: 1,
        direction: 'send',
        compressed: false,
        wireLength: 5,
        length: 5,
        payload: request.payload,
        raw: request.raw,
        anomalies: [],
      },
      {
        kind: 'start',
        flowId: STREAM_ID,
        time: T0 + 2,
        sequence: 2,
        direction: 'receive',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        path: '/helloworld.Greeter/SayHello',
        authority: 'localhost:50051',
        contentType: 'application/grpc',
        encoding: null,
        acceptEncoding: 'gzip',
        timeout: null,
        metadata: [['x-served-by', 'a']],
        headers: [...RESPONSE_HEADERS, ['grpc-accept-encoding', 'gzip'], ['x-served-by', 'a']],
      },
      {
        kind: 'data',
        flowId: STREAM_ID,
        time: T0 + 3,
        sequence: 3,
        direction: 'receive',
        compressed: false,
        wireLength: 6,
        length: 6,
        payload: response.payload,
        raw: response.raw,
        anomalies: [],
      },
      {
        kind: 'end',
        flowId: STREAM_ID,
        time: T0 + 9,
        sequence: 4,
        direction: 'receive',
        status: 0,
        statusName: 'OK',
        message: '',
        statusDetails: null,
        trailers: [['x-cost', '7']],
        synthetic: false,
        raw: [...OK_TRAILERS, ['x-cost', '7']],
        error: null,
      },
      {
        kind: 'flow',
        flowId: STREAM_ID,
        time: T0 + 9,
        flowType: 'unary',
        state: 'complete',
        service: 'helloworld.Greeter',
        method: 'SayHello',
        status: 0,
        requestMessages: 1,
        responseMessages: 1,
        durationMs: 9,
      },
    ];
    assert.deepEqual(outcome.envelopes, expected);
    assert.deepEqual(outcome.warnings, []);
    assert.deepEqual(outcome.resets, []);
    assert.equal(outcome.finished, true);
  });

  it('gives the same envelopes in every chunking of the data', () => {
    assertSameInEveryChunking(events);
  });

  it('emits each envelope on the event that completes it', () => {
    assert.deepEqual(runTranscript(events).perEvent, [1, 1, 0, 1, 1, 2]);
  });

  it('copies message bytes so the edge may reuse its chunk buffers', () => {
    const chunk = frame('abc');
    const stream = createGrpcStream({ maxMessageSize: 64 });
    stream.push(requestHeaders());
    const [message] = stream.push(data('send', chunk)).envelopes;
    chunk.fill(0);
    assert.equal(message?.kind, 'data');
    if (message?.kind !== 'data') return;
    assert.deepEqual(message.raw, frame('abc'));
    assert.notEqual(message.raw.buffer, chunk.buffer);
  });
});

describe('createGrpcStream: reassembly', () => {
  it('reads two messages arriving in one chunk', () => {
    const outcome = assertSameInEveryChunking([
      requestHeaders(),
      data('send', concat(frame('one'), frame('two'))),
    ]);
    const payloads = outcome.envelopes.flatMap((e) =>
      e.kind === 'data' ? [new TextDecoder().decode(e.payload ?? new Uint8Array())] : [],
    );
    assert.deepEqual(payloads, ['one', 'two']);
    assert.deepEqual(outcome.perEvent, [1, 2]);
  });

  it('reads a message whose prefix and payload span several chunks', () => {
    const message = frame('a message split in pieces');
    const outcome = runTranscript([
      requestHeaders(),
      data('send', message.subarray(0, 2)),
      data('send', message.subarray(2, 9)),
      data('send', message.subarray(9), T0 + 3),
    ]);
    assert.deepEqual(outcome.perEvent, [1, 0, 0, 1]);
    const last = outcome.envelopes[1];
    assert.equal(last?.kind, 'data');
    assert.equal(last?.time, T0 + 3);
    if (last?.kind === 'data') assert.deepEqual(last.raw, message);
  });

  it('reads an empty message as soon as its prefix is complete', () => {
    const outcome = assertSameInEveryChunking([
      requestHeaders(),
      data('send', concat(frame(''), frame(''), frame('x'))),
    ]);
    const lengths = outcome.envelopes.flatMap((e) => (e.kind === 'data' ? [e.length] : []));
    assert.deepEqual(lengths, [0, 0, 1]);
  });

  it('counts one sequence across both directions in push order', () => {
    const outcome = assertSameInEveryChunking([
      requestHeaders(),
      data('send', frame('q1')),
      responseHeaders(),
      data('receive', frame('r1')),
      data('send', frame('q2')),
      data('receive', concat(frame('r2'), frame('r3'))),
      end('send'),
      trailers(),
    ]);
    const order = outcome.envelopes.map((e) =>
      e.kind === 'flow' ? 'flow' : `${e.sequence}:${e.direction}:${e.kind}`,
    );
    assert.deepEqual(order, [
      '0:send:start',
      '1:send:data',
      '2:receive:start',
      '3:receive:data',
      '4:send:data',
      '5:receive:data',
      '6:receive:data',
      '7:receive:end',
      'flow',
    ]);
    const flow = outcome.envelopes.at(-1);
    assert.equal(flow?.kind === 'flow' && flow.flowType, 'bidirectional');
  });
});

describe('createGrpcStream: flow type', () => {
  function flowOf(requests: number, responses: number) {
    const outcome = runTranscript([
      requestHeaders(),
      ...Array.from({ length: requests }, () => data('send', frame('q'))),
      end('send'),
      responseHeaders(),
      ...Array.from({ length: responses }, () => data('receive', frame('r'))),
      trailers(),
    ]);
    const flow = outcome.envelopes.at(-1);
    assert.equal(flow?.kind, 'flow');
    return flow?.kind === 'flow' ? flow : undefined;
  }

  it('calls at most one message each way unary', () => {
    assert.equal(flowOf(0, 0)?.flowType, 'unary');
    assert.equal(flowOf(1, 0)?.flowType, 'unary');
    assert.equal(flowOf(1, 1)?.flowType, 'unary');
  });

  it('calls more than one message in one direction a stream', () => {
    assert.equal(flowOf(1, 3)?.flowType, 'stream');
    assert.equal(flowOf(4, 1)?.flowType, 'stream');
    assert.deepEqual([flowOf(4, 1)?.requestMessages, flowOf(4, 1)?.responseMessages], [4, 1]);
  });

  it('calls more than one message both ways bidirectional', () => {
    assert.equal(flowOf(2, 2)?.flowType, 'bidirectional');
  });
});

describe('createGrpcStream: request headers', () => {
  it('takes the authority from host when :authority is absent', () => {
    const headers = REQUEST_HEADERS.filter(([name]) => name !== ':authority');
    const outcome = runTranscript([requestHeaders([...headers, ['host', 'example.test:443']])]);
    const start = outcome.envelopes[0];
    assert.equal(start?.kind === 'start' && start.authority, 'example.test:443');
  });

  const malformed: [string, string | undefined][] = [
    ['missing', undefined],
    ['empty', ''],
    ['without leading slash', 'helloworld.Greeter/SayHello'],
    ['with one segment', '/helloworld.Greeter'],
    ['with an empty method', '/helloworld.Greeter/'],
    ['with an empty service', '//SayHello'],
    ['with extra segments', '/a/b/c'],
    ['with a query', '/helloworld.Greeter/SayHello?x=1'],
    ['that is only a slash', '/'],
  ];
  for (const [label, path] of malformed) {
    it(`keeps a :path ${label} raw, with empty service and method and one warning`, () => {
      const headers = REQUEST_HEADERS.filter(([name]) => name !== ':path');
      const list = path === undefined ? headers : [[':path', path] as const, ...headers];
      const outcome = runTranscript([requestHeaders(list), responseHeaders(), trailers()]);
      const starts = outcome.envelopes.filter((e) => e.kind === 'start');
      for (const start of starts) {
        assert.equal(start.service, '');
        assert.equal(start.method, '');
        assert.equal(start.path, path ?? '');
      }
      assert.equal(outcome.warnings.length, 1);
      assert.match(outcome.warnings[0] ?? '', new RegExp(`^flow ${STREAM_ID}: malformed :path`));
    });
  }

  it('ignores informational responses', () => {
    const outcome = runTranscript([
      requestHeaders(),
      informational([
        [':status', '103'],
        ['link', '</x>'],
      ]),
      responseHeaders([[':status', '100']]),
      responseHeaders(),
      trailers(),
    ]);
    assert.deepEqual(outcome.perEvent, [1, 0, 0, 1, 2]);
    const start = outcome.envelopes[1];
    assert.equal(start?.kind === 'start' && start.headers, RESPONSE_HEADERS);
  });

  it('returns one shared empty result when an event produces nothing', () => {
    const stream = createGrpcStream({ maxMessageSize: 64 });
    stream.push(requestHeaders());
    const first = stream.push(data('send', bytes('\x00\x00')));
    const second = stream.push(data('send', bytes('\x00')));
    assert.equal(first, second);
    assert.deepEqual(first, { envelopes: [], warnings: [], reset: null });
    assert.ok(Object.isFrozen(first));
  });
});
