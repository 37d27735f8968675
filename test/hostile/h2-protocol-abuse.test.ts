/**
 * Adversarial HTTP/2 clients, written frame by frame, against the real proxy: each case must end
 * the offending connection (GOAWAY, then the socket closes) or stream (RST_STREAM), say why on
 * stderr, never reach the upstream with work the client already withdrew, and leave a healthy
 * call on another connection untouched.
 */
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { type H2Server, startH2Server } from '../helpers/h2-peers.js';
import {
  CLIENT_PREFACE,
  ErrorCode,
  encodeContinuation,
  encodeData,
  encodeFrame,
  encodeHeaderBlock,
  encodeHeaderFrames,
  encodeHeaders,
  encodeIndexedField,
  encodeIndexingLiteral,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  type Frame,
  FrameFlag,
  FrameType,
  parseGoaway,
  parseRstStream,
  type RawH2Connection,
  SettingId,
} from '../helpers/raw-h2.js';
import {
  closesWithin,
  connectRawH2c,
  connectRawH2Tls,
  grpcRequestHeaders,
  readRecordFile,
  readRssMiB,
} from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * The proxy runs with `--handshake-timeout 1s`: a dead session is gone within about 2 s. The
 * margin is for a loaded machine; a session the proxy failed to reap stays open for good.
 */
const REAP_WITHIN_MS = 15_000;
const SENTINEL_PATH = '/ok.Svc/Sentinel';

const isGoaway = (frame: Frame): boolean => frame.type === FrameType.GOAWAY;
const endsStream = (id: number) => (frame: Frame) =>
  frame.streamId === id &&
  (frame.type === FrameType.RST_STREAM ||
    ((frame.type === FrameType.HEADERS || frame.type === FrameType.DATA) &&
      (frame.flags & FrameFlag.END_STREAM) !== 0));

async function expectGoaway(connection: RawH2Connection): Promise<ReturnType<typeof parseGoaway>> {
  const goaway = parseGoaway(await connection.waitForFrame(isGoaway));
  assert.ok(
    await closesWithin(connection.socket, REAP_WITHIN_MS),
    'the proxy closes the connection after its GOAWAY',
  );
  return goaway;
}

describe('hostile HTTP/2 clients', () => {
  let rig: HostileRig;
  let upstream: H2Server;
  let authority: string;
  const upstreamStreams: { path: string; stream: http2.ServerHttp2Stream }[] = [];

  before(async () => {
    rig = await startHostileRig(['--handshake-timeout', '1s']);
    upstream = await startH2Server((stream, headers) => {
      const path = String(headers[':path']);
      upstreamStreams.push({ path, stream });
      if (path.startsWith('/hold.')) return;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.resume();
      stream.on('end', () => stream.end());
    });
    authority = `127.0.0.1:${upstream.port}`;
  });
  after(async () => {
    await upstream.close();
    assert.equal(await rig.close(), 0, 'the proxy exits cleanly');
  });

  const call = (id: number, path = '/ok.Svc/Call', endStream = true): Buffer =>
    encodeHeaders(id, grpcRequestHeaders(path, authority), { endStream });

  /**
   * A call on a fresh connection, answered by the upstream. Whatever the proxy was going to
   * forward from frames it read before has reached the upstream by then (one pooled upstream
   * session, streams opened in order), so it turns "nothing reached the upstream" into a check
   * after a positive event instead of after a sleep.
   */
  async function sentinelCall(): Promise<void> {
    const connection = await connectRawH2c(rig.proxy.port);
    connection.write(call(1, SENTINEL_PATH));
    await connection.waitForFrame(endsStream(1));
    connection.destroy();
  }
  /** Paths of the upstream streams since index `from`, the sentinel calls left out. */
  const upstreamPathsSince = (from: number): string[] =>
    upstreamStreams
      .slice(from)
      .map(({ path }) => path)
      .filter((path) => path !== SENTINEL_PATH);
  /** How many times the proxy has logged a flood so far. */
  const floodsLogged = (): number =>
    (rig.proxy.stderr().match(/Flooding was detected/g) ?? []).length;

  test('an unknown frame sequence after the preface gets GOAWAY PROTOCOL_ERROR', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port, { preface: false });
      connection.write(
        Buffer.concat([CLIENT_PREFACE, encodeFrame(FrameType.DATA, 0, 0, Buffer.from('junk'))]),
      );
      const goaway = await expectGoaway(connection);
      assert.ok(
        [ErrorCode.PROTOCOL_ERROR, ErrorCode.INTERNAL_ERROR].includes(goaway.errorCode as 1),
      );
      await rig.proxy.waitForStderr(/HTTP\/2 session error: Protocol error/);
    });
  });

  test('a wrong preface inside TLS (ALPN h2) closes the connection', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2Tls(
        rig.proxy.port,
        `localhost:${rig.echo.port}`,
        rig.proxyCa,
        { preface: false },
      );
      connection.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n', 'latin1'));
      assert.ok(await closesWithin(connection.socket, REAP_WITHIN_MS), 'the connection closes');
      await rig.proxy.waitForStderr(/bad client magic/);
    });
  });

  test('DATA on a never-opened stream is a connection error; on a finished one it is ignored', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      connection.write(call(1, '/ok.Svc/Call', false));
      connection.write(encodeData(1, Buffer.from([0, 0, 0, 0, 0]), true));
      await connection.waitForFrame(endsStream(1));
      connection.write(encodeData(1, Buffer.from([0, 0, 0, 0, 0])));
      connection.write(call(3));
      await connection.waitForFrame(endsStream(3));
      assert.equal(connection.goaway(), undefined, 'late DATA on a closed stream is ignored');

      connection.write(encodeData(99, Buffer.from('x')));
      const goaway = await expectGoaway(connection);
      assert.equal(goaway.errorCode, ErrorCode.PROTOCOL_ERROR);
    });
  });

  test('a rapid-reset burst (CVE-2023-44487) opens no upstream stream and ends with GOAWAY', async (t) => {
    await rig.survive(async () => {
      const before = upstreamStreams.length;
      const rssBefore = readRssMiB(rig.proxy.child.pid as number);
      const connection = await connectRawH2c(rig.proxy.port);
      const pairs: Buffer[] = [];
      for (let index = 0; index < 5000; index++) {
        const id = 1 + 2 * index;
        pairs.push(call(id, '/hold.Svc/Reset', false), encodeRstStream(id, ErrorCode.CANCEL));
      }
      connection.write(Buffer.concat(pairs));
      const goaway = await expectGoaway(connection);
      assert.ok(goaway.lastStreamId < 5000 * 2, 'nghttp2 stopped the burst early');
      await rig.proxy.waitForStderr(/streams reset before they were answered/);
      await sentinelCall();
      assert.deepEqual(upstreamPathsSince(before), [], 'no stream reached the upstream');
      const growth = readRssMiB(rig.proxy.child.pid as number) - rssBefore;
      t.diagnostic(
        `5000 HEADERS+RST pairs: GOAWAY ${goaway.errorCode} at stream ${goaway.lastStreamId}, proxy RSS +${growth.toFixed(1)} MiB`,
      );
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MiB`);
    });
  });

  test('a CONTINUATION flood ends the connection', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      const block = encodeHeaderBlock([['x-flood', 'v']]);
      const frames = [
        encodeHeaders(1, grpcRequestHeaders('/ok.Svc/Call', authority), {
          endStream: true,
          endHeaders: false,
        }),
      ];
      for (let index = 0; index < 10_000; index++) frames.push(encodeContinuation(1, block, false));
      connection.write(Buffer.concat(frames));
      await expectGoaway(connection);
      await rig.proxy.waitForStderr(/CONTINUATION/);
    });
  });

  test('a header block over 9 frames ends the connection (nghttp2 CONTINUATION limit)', async () => {
    await rig.survive(async () => {
      const before = upstreamStreams.length;
      const connection = await connectRawH2c(rig.proxy.port);
      const big: [string, string][] = [];
      for (let index = 0; index < 40; index++) big.push([`x-big-${index}`, 'v'.repeat(4096)]);
      connection.write(encodeHeaderFrames(1, grpcRequestHeaders('/ok.Svc/Call', authority, big)));
      await expectGoaway(connection);
      assert.equal(upstreamStreams.length - before, 0);
    });
  });

  test('a 400 KiB header list sent as 5 KB (HPACK amplification) is refused, not forwarded', async (t) => {
    await rig.survive(async () => {
      const before = upstreamStreams.length;
      const pid = rig.proxy.child.pid as number;
      const rssBefore = readRssMiB(pid);
      const connection = await connectRawH2c(rig.proxy.port);
      const amplified = (id: number, endStream: boolean): Buffer => {
        const block = Buffer.concat([
          grpcRequestHeaders('/ok.Svc/Amplified', authority),
          encodeIndexingLiteral('x-amplified', 'v'.repeat(4000)),
          ...Array.from({ length: 100 }, () => encodeIndexedField(62)),
        ]);
        assert.ok(block.length < 5000);
        return encodeHeaders(id, block, { endStream });
      };
      connection.write(amplified(1, true));
      const answer = await connection.waitForFrame(endsStream(1));
      assert.equal(answer.type, FrameType.HEADERS, 'answered, not reset');
      await rig.proxy.waitForStderr(/request header list of \d+ bytes is over the limit of 65536/);

      // 1000 of them held open (no END_STREAM): Node refuses most itself (RST_STREAM
      // ENHANCE_YOUR_CALM); any it lets through are answered and released with RST_STREAM
      // NO_ERROR, so no stream keeps a 400 KiB header list alive.
      const frames: Buffer[] = [];
      for (let index = 1; index <= 1000; index++) frames.push(amplified(1 + 2 * index, false));
      connection.write(Buffer.concat(frames));
      await waitUntil(
        () => connection.frames.filter((f) => f.type === FrameType.RST_STREAM).length >= 1000,
        'every held stream to be reset',
      );
      const codes = new Set(
        connection.frames.filter((f) => f.type === FrameType.RST_STREAM).map(parseRstStream),
      );
      for (const code of codes) {
        assert.ok([ErrorCode.NO_ERROR, ErrorCode.ENHANCE_YOUR_CALM].includes(code as 0));
      }
      const growth = readRssMiB(pid) - rssBefore;
      t.diagnostic(`1001 amplified header lists: proxy RSS +${growth.toFixed(1)} MiB`);
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MiB`);
      assert.equal(upstreamStreams.length - before, 0, 'nothing reached the upstream');
      const ends = readRecordFile(rig.recordPath).filter(
        (r) =>
          r.event === 'end' &&
          (r.error as { code?: string } | null)?.code === 'REQUEST_HEADERS_TOO_LARGE',
      );
      assert.ok(ends.length >= 1);
      connection.destroy();
    });
  });

  test('more header fields than maxHeaderListPairs reset the stream with ENHANCE_YOUR_CALM', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      const many: [string, string][] = [];
      for (let index = 0; index < 200; index++) many.push([`x-h${index}`, 'v']);
      connection.write(encodeHeaderFrames(1, grpcRequestHeaders('/ok.Svc/Call', authority, many)));
      const reset = await connection.waitForFrame(endsStream(1));
      assert.equal(reset.type, FrameType.RST_STREAM);
      assert.equal(parseRstStream(reset), ErrorCode.ENHANCE_YOUR_CALM);
      connection.write(call(3));
      await connection.waitForFrame(endsStream(3));
      connection.destroy();
    });
  });

  test('one header field over 64 KiB is a COMPRESSION_ERROR for the connection', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      const block = grpcRequestHeaders('/ok.Svc/Call', authority, [['x-big', 'v'.repeat(70_000)]]);
      connection.write(encodeHeaderFrames(1, block, { endStream: true }));
      const goaway = await expectGoaway(connection);
      assert.equal(goaway.errorCode, ErrorCode.COMPRESSION_ERROR);
    });
  });

  test('a SETTINGS flood from a client that does not read ends the connection', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      connection.socket.pause();
      const frames: Buffer[] = [];
      for (let index = 0; index < 20_000; index++) {
        frames.push(encodeSettings([[SettingId.INITIAL_WINDOW_SIZE, 65_535]]));
      }
      const floods = floodsLogged();
      connection.write(Buffer.concat(frames));
      await waitUntil(() => floodsLogged() > floods, 'the proxy to detect the flood', 30_000);
      connection.socket.resume();
      await expectGoaway(connection);
    });
  });

  test('a SETTINGS frame with more entries than maxSettings gets GOAWAY ENHANCE_YOUR_CALM', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      const entries: [number, number][] = [];
      for (let index = 0; index < 100; index++) entries.push([SettingId.INITIAL_WINDOW_SIZE, 1]);
      connection.write(encodeSettings(entries));
      const goaway = await expectGoaway(connection);
      assert.equal(goaway.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
    });
  });

  test('a PING flood ends the connection, whether or not the client reads', async () => {
    await rig.survive(async () => {
      for (const reads of [true, false]) {
        const connection = await connectRawH2c(rig.proxy.port);
        if (!reads) connection.socket.pause();
        const frames: Buffer[] = [];
        for (let index = 0; index < 100_000; index++) frames.push(encodePing());
        const floods = floodsLogged();
        connection.write(Buffer.concat(frames));
        // The client reads nothing (or everything) until the proxy has found the flood.
        await waitUntil(() => floodsLogged() > floods, 'the proxy to detect the flood', 30_000);
        connection.socket.resume();
        await expectGoaway(connection);
      }
    });
  });

  test('WINDOW_UPDATE past 2^31-1 on the connection or a stream ends the connection', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      connection.write(encodeWindowUpdate(0, 0x7fffffff));
      await expectGoaway(connection);

      const streamLevel = await connectRawH2c(rig.proxy.port);
      streamLevel.write(call(1, '/hold.Svc/Window', false));
      streamLevel.write(encodeWindowUpdate(1, 0x7fffffff));
      const reset = await streamLevel.waitForFrame(endsStream(1));
      assert.equal(parseRstStream(reset), ErrorCode.FLOW_CONTROL_ERROR);
      await expectGoaway(streamLevel);
      await rig.proxy.waitForStderr(/Flow control error/);
    });
  });

  test('a reused or lower stream id never opens a new upstream stream', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      connection.write(call(5));
      await connection.waitForFrame(endsStream(5));
      const before = upstreamStreams.length;
      connection.write(call(5, '/ok.Svc/Reused'));
      connection.write(call(3, '/ok.Svc/Lower'));
      // Stream 7 comes after both: either the proxy ends the connection before it, or it
      // forwards 7 after whatever it did with 5 and 3.
      connection.write(call(7));
      const outcome = await connection.waitForFrame((f) => isGoaway(f) || endsStream(7)(f));
      if (isGoaway(outcome)) {
        assert.ok(
          [ErrorCode.PROTOCOL_ERROR, ErrorCode.STREAM_CLOSED].includes(
            parseGoaway(outcome).errorCode as 1 | 5,
          ),
        );
        await sentinelCall();
        assert.deepEqual(upstreamPathsSince(before), [], 'neither reached the upstream');
      } else {
        assert.deepEqual(
          upstreamPathsSince(before),
          ['/ok.Svc/Call'],
          'neither reached the upstream',
        );
      }
      connection.destroy();
    });
  });

  test('a flood of malformed requests ends the connection at maxSessionInvalidFrames', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      const frames: Buffer[] = [];
      for (let index = 0; index < 2000; index++) {
        const block = encodeHeaderBlock([
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', ''],
          [':authority', authority],
        ]);
        frames.push(encodeHeaders(1 + 2 * index, block, { endStream: true }));
      }
      connection.write(Buffer.concat(frames));
      assert.ok(await closesWithin(connection.socket, REAP_WITHIN_MS));
      await rig.proxy.waitForStderr(/Too many invalid HTTP\/2 frames/);
    });
  });

  test('streams past MAX_CONCURRENT_STREAMS (1000) are refused and the rest still forwarded', async () => {
    await rig.survive(async () => {
      const before = upstreamStreams.length;
      const connection = await connectRawH2c(rig.proxy.port);
      const frames: Buffer[] = [];
      for (let index = 0; index < 1050; index++) {
        frames.push(call(1 + 2 * index, '/hold.Svc/Many', false));
      }
      connection.write(Buffer.concat(frames));
      const refused = (): Frame[] =>
        connection.frames.filter(
          (f) => f.type === FrameType.RST_STREAM && parseRstStream(f) === ErrorCode.REFUSED_STREAM,
        );
      await waitUntil(
        () => upstreamStreams.length - before >= 1000,
        '1000 upstream streams',
        30_000,
      );
      await waitUntil(() => refused().length >= 50, '50 streams refused', 30_000);
      await sentinelCall();
      assert.equal(upstreamPathsSince(before).length, 1000, 'exactly 1000 forwarded');
      assert.equal(refused().length, 50, 'the other 50 refused');
      connection.destroy();
      await waitUntil(
        () => upstreamStreams.slice(before).every(({ stream }) => stream.closed),
        'the upstream streams to be cancelled',
      );
      const records = readRecordFile(rig.recordPath);
      assert.ok(records.length > 0);
    });
  });
});
