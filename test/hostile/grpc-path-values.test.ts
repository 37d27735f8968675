/**
 * `:path` values a gRPC client should never send, written frame by frame (Node validates what it
 * sends): nghttp2 refuses what is not an HTTP/2 request path at all; everything else is forwarded
 * byte for byte and recorded as it was, with empty `service` and `method` when it is not
 * `/service/method`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type H2Server, startH2Server } from '../helpers/h2-peers.js';
import {
  ErrorCode,
  encodeData,
  encodeHeaderFrames,
  type Frame,
  FrameFlag,
  FrameType,
  parseRstStream,
} from '../helpers/raw-h2.js';
import {
  connectRawH2c,
  grpcMessage,
  grpcRequestHeaders,
  readRecordFile,
} from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';

const endOf = (id: number) => (frame: Frame) =>
  frame.streamId === id &&
  (frame.type === FrameType.RST_STREAM ||
    (frame.type !== FrameType.DATA && (frame.flags & FrameFlag.END_STREAM) !== 0));

describe('odd :path values', () => {
  let rig: HostileRig;
  let upstream: H2Server;
  /** The `:path` bytes of every stream the upstream received. */
  const seen: Buffer[] = [];

  before(async () => {
    rig = await startHostileRig();
    upstream = await startH2Server((stream, headers) => {
      seen.push(Buffer.from(String(headers[':path'] ?? ''), 'latin1'));
      stream.resume();
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
        { endStream: true },
      );
    });
  });
  after(async () => {
    await upstream.close();
    assert.equal(await rig.close(), 0);
  });

  test('are refused by HTTP/2, or forwarded exactly and recorded raw', async () => {
    await rig.survive(async () => {
      const connection = await connectRawH2c(rig.proxy.port);
      let nextId = 1;
      const call = async (path: string | Uint8Array): Promise<Frame> => {
        const id = nextId;
        nextId += 2;
        const block = grpcRequestHeaders(path, `127.0.0.1:${upstream.port}`);
        connection.write(encodeHeaderFrames(id, block));
        connection.write(encodeData(id, grpcMessage(Buffer.alloc(0)), true));
        return connection.waitForFrame(endOf(id));
      };
      // Not a valid HTTP/2 request path at all: nghttp2 resets the stream (RFC 9113 §8.3.1).
      for (const path of ['', 'noslash', '*']) {
        const before = seen.length;
        const reset = await call(path);
        assert.equal(reset.type, FrameType.RST_STREAM, `${JSON.stringify(path)} is reset`);
        assert.equal(parseRstStream(reset), ErrorCode.PROTOCOL_ERROR);
        assert.equal(seen.length, before, 'and never forwarded');
      }
      const nonUtf8 = Buffer.from([0x2f, 0xff, 0xfe, 0x2f, 0x80]);
      const long = `/${'a'.repeat(60 * 1024)}`;
      for (const path of ['/', '//', '/svc/m?q=1', nonUtf8, long]) {
        const before = seen.length;
        const end = await call(path);
        assert.equal(end.type, FrameType.HEADERS, 'answered by the upstream');
        const sent = typeof path === 'string' ? Buffer.from(path, 'latin1') : path;
        assert.deepEqual(seen[before], sent, 'forwarded byte for byte');
      }
      const recorded = readRecordFile(rig.recordPath)
        .filter((r) => r.event === 'start' && r.direction === 'send')
        .map((r) => [String(r.path), r.service, r.method]);
      assert.ok(recorded.some(([path, service]) => path === '//' && service === ''));
      assert.ok(recorded.some(([path]) => path === '/svc/m?q=1'));
      assert.ok(
        recorded.some(([path]) => path === nonUtf8.toString('latin1')),
        'non-UTF-8 bytes kept as Latin-1 characters',
      );
      assert.ok(recorded.some(([path]) => path === long));
      await rig.proxy.waitForStderr('malformed :path "//"');

      // Over the 64 KiB header list limit (SETTINGS_MAX_HEADER_LIST_SIZE): refused by Node.
      const before = seen.length;
      const answer = await call(`/${'b'.repeat(64 * 1024 - 100)}`);
      assert.equal(answer.type, FrameType.RST_STREAM);
      assert.equal(parseRstStream(answer), ErrorCode.ENHANCE_YOUR_CALM);
      assert.equal(seen.length, before);
      connection.destroy();
    });
  });
});
