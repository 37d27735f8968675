/**
 * Requests whose client half-closes right after the headers, through every way into the proxy
 * (CONNECT + TLS, `--reverse`, h2c prior knowledge): END_STREAM on the HEADERS frame, an empty
 * DATA frame carrying END_STREAM in the same write or 200 ms later, trailers at once, and a
 * message followed at once by an empty END_STREAM DATA frame. Regression: a request whose end
 * arrived before the proxy had opened its upstream stream was never ended upstream, so the call
 * (gRPC's `empty_stream`, any client-streaming call without a message) hung forever.
 *
 * The upstream is a node:http2 server that answers only once it has seen the request end, with a
 * report of what it saw; the tests assert on what the client receives, on that report and on the
 * proxy's records, so they hold whatever HTTP/2 engine the proxy uses.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { EchoClient, type EchoReply } from '../helpers/echo-server.js';
import { connectThroughProxy, type H2Server, request, startH2Server } from '../helpers/h2-peers.js';
import {
  encodeData,
  encodeHeaderBlock,
  encodeHeaders,
  ErrorCode,
  FrameFlag,
  FrameType,
  parseRstStream,
  type RawH2Connection,
} from '../helpers/raw-h2.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { sleep } from '../helpers/wait.js';
import {
  connectRawH2c,
  connectRawH2Tls,
  grpcMessage,
  grpcRequestHeaders,
  startRawH2Tls,
} from '../hostile/hostile-harness.js';
import {
  assertWellFormedFlow,
  CALL_ID_HEADER,
  createCallMetadata,
  decodeMessage,
  echoTypes,
  encodeMessage,
  frameMessage,
  getMethod,
  only,
  waitForCallRecords,
} from './grpc-harness.js';

/** What the upstream saw of one request, once it ended. */
interface SeenRequest {
  readonly bodyBytes: number;
  readonly trailer: string | null;
}

const TRAILER = 'x-request-trailer';
const PATH = '/grpctap.test.Echo/ClientStream';
/** The reporter answers this path at once, then resets the stream with NO_ERROR. */
const ANSWER_NOW_PATH = '/grpctap.test.Echo/Bidi';
/** Bound on every wait: a request that hangs fails here instead of at the test timeout. */
const ANSWER_MS = 15_000;
/** Per test: a hung request fails its own test, and the next ones still run. */
const BOUNDED = { timeout: 2 * ANSWER_MS };

/** Responds with one EchoReply carrying `report` and trailers with status OK. */
function answer(stream: http2.ServerHttp2Stream, report: SeenRequest, onTrailersSent = () => {}) {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => {
    stream.sendTrailers({ 'grpc-status': '0' });
    onTrailersSent();
  });
  const reply = encodeMessage(echoTypes.reply, { text: JSON.stringify(report), index: 0 });
  stream.end(frameMessage(reply));
}

/**
 * Answers each request once it has ended, with an EchoReply whose text is the `SeenRequest`; on
 * `ANSWER_NOW_PATH` it answers at once instead and then, as RFC 9113 §8.1 allows a server whose
 * response is complete, resets the stream with NO_ERROR.
 */
async function startReporter(
  pki: TestPki['localhost'] | null,
  seen: Map<string, SeenRequest>,
): Promise<H2Server> {
  return startH2Server((stream, headers) => {
    if (headers[':path'] === ANSWER_NOW_PATH) {
      // Node drops trailers not yet written from a stream it resets; they go out this turn.
      answer(stream, { bodyBytes: 0, trailer: null }, () =>
        setImmediate(() => stream.close(http2.constants.NGHTTP2_NO_ERROR)),
      );
      return;
    }
    let bodyBytes = 0;
    let trailer: string | null = null;
    stream.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
      trailer = String(trailers[TRAILER] ?? '');
    });
    stream.on('end', () => {
      const report: SeenRequest = { bodyBytes, trailer };
      seen.set(String(headers[CALL_ID_HEADER]), report);
      answer(stream, report);
    });
  }, pki);
}

interface Rig {
  readonly pki: TestPki;
  readonly seen: Map<string, SeenRequest>;
  readonly tlsUpstream: H2Server;
  readonly h2cUpstream: H2Server;
  readonly forward: ProxyProcess;
  readonly forwardCa: string;
  readonly reverse: ProxyProcess;
  readonly reverseCa: string;
}

let rig: Rig;

before(async () => {
  const pki = await createTestPki();
  const seen = new Map<string, SeenRequest>();
  const tlsUpstream = await startReporter(pki.localhost, seen);
  const h2cUpstream = await startReporter(null, seen);
  const forward = await startProxy({ args: ['--upstream-ca', pki.caPath] });
  const reverse = await startProxy({
    args: ['--reverse', `https://localhost:${tlsUpstream.port}`, '--upstream-ca', pki.caPath],
  });
  rig = {
    pki,
    seen,
    tlsUpstream,
    h2cUpstream,
    forward,
    forwardCa: await readFile(forward.caPath, 'utf8'),
    reverse,
    reverseCa: await readFile(reverse.caPath, 'utf8'),
  };
});

after(async () => {
  await rig.tlsUpstream.close();
  await rig.h2cUpstream.close();
  await rig.forward.stop();
  await rig.reverse.stop();
  await rig.pki.remove();
});

/** One way into the proxy, for each kind of client. */
interface Entry {
  readonly name: string;
  readonly proxy: () => ProxyProcess;
  /** The `:authority` the client asks for. */
  readonly authority: () => string;
  readonly raw: () => Promise<RawH2Connection>;
  readonly node: () => Promise<http2.ClientHttp2Session>;
  readonly grpcJs: () => grpc.Client;
}

const tlsAuthority = (): string => `localhost:${rig.tlsUpstream.port}`;
const h2cAuthority = (): string => `127.0.0.1:${rig.h2cUpstream.port}`;
const reverseAuthority = (): string => `localhost:${rig.reverse.port}`;

const entries: readonly Entry[] = [
  {
    name: 'through a CONNECT tunnel with TLS',
    proxy: () => rig.forward,
    authority: tlsAuthority,
    raw: () => connectRawH2Tls(rig.forward.port, tlsAuthority(), rig.forwardCa),
    node: () => connectThroughProxy(rig.forward.port, tlsAuthority(), rig.forwardCa),
    grpcJs: () => {
      process.env.grpc_proxy = rig.forward.url;
      return new EchoClient(tlsAuthority(), grpc.credentials.createSsl(Buffer.from(rig.forwardCa)));
    },
  },
  {
    name: 'in --reverse mode',
    proxy: () => rig.reverse,
    authority: reverseAuthority,
    raw: () => startRawH2Tls(rig.reverse.port, 'localhost', rig.reverseCa),
    node: async () => {
      const session = http2.connect(`https://${reverseAuthority()}`, {
        createConnection: () =>
          tls.connect({
            host: '127.0.0.1',
            port: rig.reverse.port,
            servername: 'localhost',
            ca: rig.reverseCa,
            ALPNProtocols: ['h2'],
          }),
      });
      session.on('error', () => {});
      return session;
    },
    grpcJs: () =>
      new EchoClient(reverseAuthority(), grpc.credentials.createSsl(Buffer.from(rig.reverseCa)), {
        'grpc.enable_http_proxy': 0,
      }),
  },
  {
    name: 'over h2c',
    proxy: () => rig.forward,
    authority: h2cAuthority,
    raw: () => connectRawH2c(rig.forward.port),
    node: async () => {
      const session = http2.connect(`http://127.0.0.1:${rig.forward.port}`);
      session.on('error', () => {});
      return session;
    },
    grpcJs: () => {
      process.env.grpc_proxy = rig.forward.url;
      return new EchoClient(h2cAuthority(), grpc.credentials.createInsecure());
    },
  },
];

/** How a raw client ends its request on stream 1, and what the upstream must then have seen. */
interface Ordering {
  readonly name: string;
  readonly messages: number;
  readonly expected: SeenRequest;
  send(connection: RawH2Connection, headerBlock: Buffer): Promise<void>;
}

const EMPTY = Buffer.alloc(0);
const ONE_MESSAGE = grpcMessage(encodeMessage(echoTypes.request, { text: 'one' }));

const orderings: readonly Ordering[] = [
  {
    name: 'END_STREAM on its HEADERS frame',
    messages: 0,
    expected: { bodyBytes: 0, trailer: null },
    async send(connection, headerBlock) {
      connection.write(encodeHeaders(1, headerBlock, { endStream: true }));
    },
  },
  {
    name: 'an empty END_STREAM DATA frame in the same write',
    messages: 0,
    expected: { bodyBytes: 0, trailer: null },
    async send(connection, headerBlock) {
      connection.write(Buffer.concat([encodeHeaders(1, headerBlock), encodeData(1, EMPTY, true)]));
    },
  },
  {
    name: 'an empty END_STREAM DATA frame 200 ms later',
    messages: 0,
    expected: { bodyBytes: 0, trailer: null },
    async send(connection, headerBlock) {
      connection.write(encodeHeaders(1, headerBlock));
      await sleep(200);
      connection.write(encodeData(1, EMPTY, true));
    },
  },
  {
    name: 'trailers in the same write',
    messages: 0,
    expected: { bodyBytes: 0, trailer: 'at-once' },
    async send(connection, headerBlock) {
      const trailers = encodeHeaderBlock([[TRAILER, 'at-once']]);
      connection.write(
        Buffer.concat([
          encodeHeaders(1, headerBlock),
          encodeHeaders(1, trailers, { endStream: true }),
        ]),
      );
    },
  },
  {
    name: 'one message and an empty END_STREAM DATA frame in the same write',
    messages: 1,
    expected: { bodyBytes: ONE_MESSAGE.length, trailer: null },
    async send(connection, headerBlock) {
      connection.write(
        Buffer.concat([
          encodeHeaders(1, headerBlock),
          encodeData(1, ONE_MESSAGE),
          encodeData(1, EMPTY, true),
        ]),
      );
    },
  },
];

/** Reads the upstream's report out of the one gRPC message of a response body. */
function readReport(body: Buffer): SeenRequest {
  assert.ok(body.length >= 5, `a gRPC message in the response (got ${body.length} bytes)`);
  const reply = decodeMessage(echoTypes.reply, body.subarray(5)) as unknown as EchoReply;
  return JSON.parse(reply.text) as SeenRequest;
}

/** The proxy's records of the call: one complete flow, status OK, the given message counts. */
async function assertRecordedOk(
  proxy: ProxyProcess,
  callId: string,
  requestMessages: number,
): Promise<void> {
  const records = await waitForCallRecords(proxy, callId, ANSWER_MS);
  assertWellFormedFlow(records);
  const end = only(records, 'end', 'receive');
  assert.equal(end.status, 0);
  assert.equal(end.error, null);
  const flow = only(records, 'flow');
  assert.equal(flow.state, 'complete');
  assert.equal(flow.requestMessages, requestMessages);
  assert.equal(flow.responseMessages, 1);
}

for (const entry of entries) {
  describe(`a raw HTTP/2 request ${entry.name}`, () => {
    for (const ordering of orderings) {
      test(`is answered when it ends with ${ordering.name}`, BOUNDED, async () => {
        const { id } = createCallMetadata();
        const connection = await entry.raw();
        try {
          const headerBlock = grpcRequestHeaders(PATH, entry.authority(), [[CALL_ID_HEADER, id]]);
          await ordering.send(connection, headerBlock);
          const last = await connection.waitForFrame(
            (frame) =>
              frame.streamId === 1 &&
              (frame.type === FrameType.RST_STREAM ||
                (frame.type === FrameType.HEADERS && (frame.flags & FrameFlag.END_STREAM) !== 0)),
            ANSWER_MS,
          );
          assert.equal(
            last.type,
            FrameType.HEADERS,
            'the response ends with trailers, not a reset',
          );
          const body = Buffer.concat(
            connection.frames
              .filter((frame) => frame.streamId === 1 && frame.type === FrameType.DATA)
              .map((frame) => frame.payload),
          );
          assert.deepEqual(readReport(body), ordering.expected);
          assert.deepEqual(rig.seen.get(id), ordering.expected);
          await assertRecordedOk(entry.proxy(), id, ordering.messages);
        } finally {
          connection.destroy();
        }
      });
    }

    test(
      'still open when the response completes gets the trailers before RST_STREAM NO_ERROR',
      BOUNDED,
      async () => {
        const { id } = createCallMetadata();
        const connection = await entry.raw();
        try {
          const headerBlock = grpcRequestHeaders(ANSWER_NOW_PATH, entry.authority(), [
            [CALL_ID_HEADER, id],
          ]);
          connection.write(encodeHeaders(1, headerBlock));
          const reset = await connection.waitForFrame(
            (frame) => frame.streamId === 1 && frame.type === FrameType.RST_STREAM,
            ANSWER_MS,
          );
          assert.equal(parseRstStream(reset), ErrorCode.NO_ERROR);
          const ofStream = connection.frames.filter((frame) => frame.streamId === 1);
          const trailersAt = ofStream.findIndex(
            (frame) =>
              frame.type === FrameType.HEADERS && (frame.flags & FrameFlag.END_STREAM) !== 0,
          );
          assert.ok(trailersAt >= 0, 'the trailers reached the client');
          assert.ok(trailersAt < ofStream.indexOf(reset), 'the trailers came before the reset');
          await assertRecordedOk(entry.proxy(), id, 0);
        } finally {
          connection.destroy();
        }
      },
    );
  });

  describe(`a node:http2 request ${entry.name}`, () => {
    for (const endAfterMs of [undefined, 200]) {
      const when = endAfterMs === undefined ? 'at once' : `${endAfterMs} ms after its headers`;
      test(`is answered when it ends with an empty body ${when}`, BOUNDED, async () => {
        const { id } = createCallMetadata();
        const session = await entry.node();
        try {
          const response = await request(
            session,
            {
              ':method': 'POST',
              ':path': PATH,
              ':authority': entry.authority(),
              'content-type': 'application/grpc',
              te: 'trailers',
              [CALL_ID_HEADER]: id,
            },
            EMPTY,
            endAfterMs === undefined ? {} : { endAfterMs },
          );
          assert.equal(response.rstCode, http2.constants.NGHTTP2_NO_ERROR);
          assert.equal(response.headers[':status'], 200);
          assert.equal(response.trailers['grpc-status'], '0');
          assert.deepEqual(readReport(response.body), { bodyBytes: 0, trailer: null });
          await assertRecordedOk(entry.proxy(), id, 0);
        } finally {
          session.close();
        }
      });
    }
  });

  describe(`a grpc-js call ${entry.name}`, () => {
    test('completes when the client streams no message', BOUNDED, async () => {
      const client = entry.grpcJs();
      const { id, metadata } = createCallMetadata();
      try {
        const reply = await new Promise<EchoReply>((resolve, reject) => {
          const call = getMethod(client, 'ClientStream')(
            metadata,
            { deadline: Date.now() + ANSWER_MS },
            (error: grpc.ServiceError | null, value?: EchoReply) =>
              error || !value ? reject(error ?? new Error('no reply')) : resolve(value),
          ) as grpc.ClientWritableStream<unknown>;
          call.end();
        });
        assert.deepEqual(JSON.parse(reply.text), { bodyBytes: 0, trailer: null });
        await assertRecordedOk(entry.proxy(), id, 0);
      } finally {
        client.close();
      }
    });

    test('completes when a bidirectional client sends no message', BOUNDED, async () => {
      const client = entry.grpcJs();
      const { id, metadata } = createCallMetadata();
      try {
        const replies = await new Promise<EchoReply[]>((resolve, reject) => {
          const call = getMethod(client, 'Bidi')(metadata, {
            deadline: Date.now() + ANSWER_MS,
          }) as grpc.ClientDuplexStream<unknown, EchoReply>;
          const received: EchoReply[] = [];
          call.on('data', (reply: EchoReply) => received.push(reply));
          call.on('error', reject);
          call.on('status', (status: grpc.StatusObject) => {
            if (status.code === grpc.status.OK) resolve(received);
          });
          call.end();
        });
        assert.deepEqual(
          replies.map((reply) => JSON.parse(reply.text) as SeenRequest),
          [{ bodyBytes: 0, trailer: null }],
        );
        await assertRecordedOk(entry.proxy(), id, 0);
      } finally {
        client.close();
      }
    });
  });
}
