/**
 * Hostile gRPC content through the real proxy (`--max-message-size 4MiB`): oversized and lying
 * length prefixes, truncation, reserved flag bits, compression it cannot read, compression bombs,
 * odd `:path` values, and extreme message counts and framings. Stream errors end the one call with
 * an `error` end record and a reset on both sides; anything readable is forwarded untouched.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { constants, createGzip, gzipSync } from 'node:zlib';
import { type H2Server, startH2Server } from '../helpers/h2-peers.js';
import {
  ErrorCode,
  encodeData,
  encodeHeaderFrames,
  type Frame,
  FrameFlag,
  FrameType,
  parseRstStream,
  type RawH2Connection,
} from '../helpers/raw-h2.js';
import {
  connectRawH2c,
  grpcMessage,
  grpcRequestHeaders,
  type JsonRecord,
  readRecordFile,
  readRssMiB,
} from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';
import { waitUntil } from '../helpers/wait.js';

const CAP = 4 * 1024 * 1024;

interface SeenStream {
  readonly path: Buffer;
  readonly chunks: Buffer[];
  readonly stream: http2.ServerHttp2Stream;
}

const sumLength = (chunks: readonly Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

/** gzip of `bytes` zero bytes, streamed through zlib at level 9 (never holding the output). */
async function gzipZeros(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const block = Buffer.alloc(1 << 20);
  for (let written = 0; written < bytes; written += block.length) {
    const part = Math.min(block.length, bytes - written);
    if (!gzip.write(block.subarray(0, part))) {
      await new Promise((resolve) => gzip.once('drain', resolve));
    }
  }
  await new Promise((resolve) => gzip.end(resolve));
  return Buffer.concat(out);
}

describe('hostile gRPC content', () => {
  let rig: HostileRig;
  let upstream: H2Server;
  let authority: string;
  let bomb: Buffer;
  const seen: SeenStream[] = [];
  let nextStream = 1;

  before(async () => {
    bomb = await gzipZeros(1024 ** 3);
    rig = await startHostileRig(['--max-message-size', '4MiB', '--handshake-timeout', '2s']);
    upstream = await startH2Server((stream, headers) => {
      const entry: SeenStream = {
        path: Buffer.from(String(headers[':path'] ?? ''), 'latin1'),
        chunks: [],
        stream,
      };
      seen.push(entry);
      stream.on('data', (chunk: Buffer) => entry.chunks.push(chunk));
      if (headers[':path'] === '/bomb.Svc/Download') {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' },
          { waitForTrailers: true },
        );
        stream.write(grpcMessage(bomb, 1));
      } else {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          { waitForTrailers: true },
        );
      }
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.on('end', () => stream.end());
    });
    authority = `127.0.0.1:${upstream.port}`;
  });
  after(async () => {
    await upstream.close();
    assert.equal(await rig.close(), 0);
  });

  /** A raw h2c connection straight to the proxy, routed to the upstream by `:authority`. */
  let raw: RawH2Connection | null = null;
  async function connection(): Promise<RawH2Connection> {
    if (raw === null || raw.isClosed) {
      raw = await connectRawH2c(rig.proxy.port);
      nextStream = 1;
    }
    return raw;
  }
  function openCall(
    connection: RawH2Connection,
    path: string | Uint8Array = '/hostile.Svc/Call',
    extra: readonly [string, string][] = [],
  ): number {
    const id = nextStream;
    nextStream += 2;
    connection.write(encodeHeaderFrames(id, grpcRequestHeaders(path, authority, extra)));
    return id;
  }
  const endOf = (id: number) => (frame: Frame) =>
    frame.streamId === id &&
    (frame.type === FrameType.RST_STREAM ||
      (frame.type !== FrameType.DATA && (frame.flags & FrameFlag.END_STREAM) !== 0));

  /** Waits for the finished flow (its `flow` record written) of the latest call to `path`. */
  async function flowRecords(path: string): Promise<JsonRecord[]> {
    let records: JsonRecord[] = [];
    await waitUntil(() => {
      const all = readRecordFile(rig.recordPath);
      const start = all.findLast(
        (r) => r.event === 'start' && r.direction === 'send' && r.path === path,
      );
      records = start ? all.filter((r) => r.flowId === start.flowId) : [];
      return records.some((r) => r.event === 'flow');
    }, `the records of ${path}`);
    return records;
  }

  /** The call's client stream was reset and its records end with this stream error. */
  async function expectStreamError(
    id: number,
    path: string,
    code: string,
    reason: RegExp,
    side: 'client' | 'upstream' = 'client',
  ): Promise<void> {
    const conn = await connection();
    const reset = await conn.waitForFrame(endOf(id));
    assert.equal(reset.type, FrameType.RST_STREAM, 'the client stream is reset');
    assert.equal(parseRstStream(reset), ErrorCode.INTERNAL_ERROR);
    assertErrorEnd(await flowRecords(path), code, reason, side);
    await rig.proxy.waitForStderr(reason);
  }
  function assertErrorEnd(
    records: readonly JsonRecord[],
    code: string,
    reason: RegExp,
    side: 'client' | 'upstream',
  ): void {
    const end = records.find((r) => r.event === 'end') as JsonRecord;
    assert.equal(end.status, null);
    const error = end.error as { code: string; reason: string; side: string };
    assert.equal(error.code, code);
    assert.match(error.reason, reason);
    assert.equal(error.side, side);
    assert.equal(records.at(-1)?.event, 'flow');
    assert.equal(records.at(-1)?.state, 'error');
  }

  test('a declared length over --max-message-size resets the call at once', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const before = seen.length;
      const id = openCall(conn, '/hostile.Svc/OverCap');
      const prefix = Buffer.from([0, 0, 0, 0, 0]);
      prefix.writeUInt32BE(CAP + 1, 1);
      conn.write(encodeData(id, Buffer.concat([prefix, Buffer.alloc(1000)])));
      await expectStreamError(
        id,
        '/hostile.Svc/OverCap',
        'MESSAGE_TOO_LARGE',
        /declared message length 4194305 exceeds the limit of 4194304/,
      );
      const upstreamSide = seen[before] as SeenStream;
      await waitUntil(() => upstreamSide.stream.closed, 'the upstream stream to close');
      assert.equal(upstreamSide.stream.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });

  test('a 4 GiB declared length with a few bytes sent allocates nothing', async (t) => {
    await rig.survive(async () => {
      const rss = readRssMiB(rig.proxy.child.pid as number);
      const conn = await connection();
      const ids: number[] = [];
      for (let index = 0; index < 50; index++) {
        const id = openCall(conn, '/hostile.Svc/FourGiB');
        ids.push(id);
        conn.write(encodeData(id, Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3])));
      }
      await expectStreamError(
        ids.at(-1) as number,
        '/hostile.Svc/FourGiB',
        'MESSAGE_TOO_LARGE',
        /declared message length 4294967295 exceeds/,
      );
      for (const id of ids) await conn.waitForFrame(endOf(id));
      const growth = readRssMiB(rig.proxy.child.pid as number) - rss;
      t.diagnostic(`50 calls declaring 4 GiB: proxy RSS +${growth.toFixed(1)} MiB`);
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MiB`);
    });
  });

  test('a message cut short by END_STREAM is a TRUNCATED_MESSAGE error', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const id = openCall(conn, '/hostile.Svc/Truncated');
      const prefix = Buffer.from([0, 0, 0, 0, 100]);
      conn.write(encodeData(id, Buffer.concat([prefix, Buffer.alloc(10)]), true));
      await expectStreamError(
        id,
        '/hostile.Svc/Truncated',
        'TRUNCATED_MESSAGE',
        /request ended inside a message/,
      );
    });
  });

  test('reserved flag bits are an UNKNOWN_FLAGS error', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const id = openCall(conn, '/hostile.Svc/Flags');
      conn.write(encodeData(id, grpcMessage(Buffer.from('hi'), 0x02)));
      await expectStreamError(
        id,
        '/hostile.Svc/Flags',
        'UNKNOWN_FLAGS',
        /message flags 0x02 set reserved bits/,
      );
    });
  });

  test('compressed messages it cannot read are forwarded untouched and recorded with an anomaly', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const cases = [
        { extra: [] as [string, string][], anomaly: 'COMPRESSED_WITHOUT_ENCODING' },
        {
          extra: [['grpc-encoding', 'snappy']] as [string, string][],
          anomaly: 'UNSUPPORTED_ENCODING',
        },
      ];
      for (const { extra, anomaly } of cases) {
        const before = seen.length;
        const id = openCall(conn, '/hostile.Svc/Compressed', extra);
        const message = grpcMessage(Buffer.from('not really compressed'), 0x01);
        conn.write(encodeData(id, message, true));
        const end = await conn.waitForFrame(endOf(id));
        assert.equal(end.type, FrameType.HEADERS, 'the call ends with trailers, not a reset');
        const upstreamSide = seen[before] as SeenStream;
        assert.deepEqual(Buffer.concat(upstreamSide.chunks), message, 'forwarded byte for byte');
        const records = await flowRecords('/hostile.Svc/Compressed');
        assert.equal(records.find((r) => r.event === 'end')?.status, 0);
        const data = records.find((r) => r.event === 'data');
        assert.deepEqual(
          (data?.anomalies as { code: string }[] | undefined)?.map((a) => a.code),
          [anomaly],
        );
        assert.equal(data?.payload, null);
        assert.equal(data?.length, null);
        assert.equal(Buffer.from(String(data?.raw), 'base64').compare(message), 0);
      }
    });
  });

  test('a 4 KiB gzip message inflating past the cap is MESSAGE_TOO_LARGE', async () => {
    await rig.survive(async () => {
      const small = gzipSync(Buffer.alloc(CAP + 1), { level: 9 });
      assert.ok(small.length < 8 * 1024);
      const conn = await connection();
      const id = openCall(conn, '/hostile.Svc/SmallBomb', [['grpc-encoding', 'gzip']]);
      conn.write(encodeData(id, grpcMessage(small, 1)));
      await expectStreamError(
        id,
        '/hostile.Svc/SmallBomb',
        'MESSAGE_TOO_LARGE',
        /decompressed message exceeds the limit of 4194304/,
      );
    });
  });

  test('a 1 GiB gzip bomb either way ends the call without allocating 1 GiB', async (t) => {
    await rig.survive(async () => {
      const pid = rig.proxy.child.pid as number;
      const rss = readRssMiB(pid);
      const session = http2.connect(`http://127.0.0.1:${rig.proxy.port}`);
      session.on('error', () => {});
      try {
        const upload = session.request({
          ':method': 'POST',
          ':path': '/hostile.Svc/Bomb',
          ':authority': authority,
          'content-type': 'application/grpc',
          'grpc-encoding': 'gzip',
          te: 'trailers',
        });
        upload.on('error', () => {});
        upload.end(grpcMessage(bomb, 1));
        await new Promise((resolve) => upload.once('close', resolve));
        assert.equal(upload.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);

        const download = session.request({
          ':method': 'POST',
          ':path': '/bomb.Svc/Download',
          ':authority': authority,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        download.on('error', () => {});
        download.resume();
        download.end(grpcMessage(Buffer.alloc(0)));
        await new Promise((resolve) => download.once('close', resolve));
        assert.equal(download.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
      } finally {
        session.close();
      }
      const bombLimit = /decompressed message exceeds the limit of 4194304/;
      assertErrorEnd(
        await flowRecords('/hostile.Svc/Bomb'),
        'MESSAGE_TOO_LARGE',
        bombLimit,
        'client',
      );
      assertErrorEnd(
        await flowRecords('/bomb.Svc/Download'),
        'MESSAGE_TOO_LARGE',
        bombLimit,
        'upstream',
      );
      const growth = readRssMiB(pid) - rss;
      t.diagnostic(`${bomb.length} byte bomb both ways: proxy RSS +${growth.toFixed(1)} MiB`);
      assert.ok(growth < 100, `RSS grew ${growth.toFixed(1)} MiB for a 1 GiB bomb`);
    });
  });

  test('10,000 tiny messages in one write are each recorded, with dense sequence numbers', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const before = seen.length;
      const id = openCall(conn, '/hostile.Svc/Tiny');
      const body = Buffer.concat(
        Array.from({ length: 10_000 }, () => grpcMessage(Buffer.alloc(0))),
      );
      const frames: Buffer[] = [];
      for (let offset = 0; offset < body.length; offset += 16_384) {
        const end = offset + 16_384 >= body.length;
        frames.push(encodeData(id, body.subarray(offset, offset + 16_384), end));
      }
      conn.write(Buffer.concat(frames));
      const end = await conn.waitForFrame(endOf(id));
      assert.equal(end.type, FrameType.HEADERS);
      assert.equal(sumLength((seen[before] as SeenStream).chunks), body.length);
      const records = await flowRecords('/hostile.Svc/Tiny');
      assert.equal(records.find((r) => r.event === 'end')?.status, 0);
      const data = records.filter((r) => r.event === 'data');
      assert.equal(data.length, 10_000);
      const sequenced = records.filter((r) => r.event !== 'flow');
      assert.deepEqual(
        sequenced.map((r) => r.sequence),
        sequenced.map((_r, index) => index),
      );
      assert.equal(records.at(-1)?.requestMessages, 10_000);
    });
  });

  test('a message split into 1-byte DATA frames is recorded once, byte for byte', async () => {
    await rig.survive(async () => {
      const conn = await connection();
      const before = seen.length;
      const id = openCall(conn, '/hostile.Svc/Dribble');
      const message = grpcMessage(Buffer.from('x'.repeat(300)));
      const frames = [...message].map((byte, index) =>
        encodeData(id, Buffer.from([byte]), index === message.length - 1),
      );
      conn.write(Buffer.concat(frames));
      await conn.waitForFrame(endOf(id));
      assert.deepEqual(Buffer.concat((seen[before] as SeenStream).chunks), message);
      const records = await flowRecords('/hostile.Svc/Dribble');
      const data = records.filter((r) => r.event === 'data');
      assert.equal(data.length, 1);
      assert.equal(Buffer.from(String(data[0]?.raw), 'base64').compare(message), 0);
    });
  });
});
