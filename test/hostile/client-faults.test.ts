/**
 * Clients that misbehave mid-call: they cancel, vanish without a word, or read so slowly that the
 * proxy would have to buffer everything if back-pressure did not reach the upstream.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import type { EchoReply } from '../helpers/echo-server.js';
import {
  connectThroughProxy,
  type H2Server,
  rawSocketOf,
  startH2Server,
} from '../helpers/h2-peers.js';
import { grpcMessage, type JsonRecord, readRecordFile, readRssMiB } from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';
import { DEFAULT_STREAM_WINDOW_BYTES } from '../../src/http2/session-settings.js';
import { waitUntil } from '../helpers/wait.js';

const MIB = 1024 * 1024;

type StreamMethod = (request: object) => grpc.ClientReadableStream<EchoReply>;
const SLOW_TOTAL = 64 * MIB;
/**
 * How far the upstream may get ahead of what a stalled client has read: the client's stream
 * window (Node's default, 64 KiB), the proxy's (`--stream-window`, 1 MiB), the upstream's own
 * queue (the 1 MiB message being sent and the one whose `write()` returned false), and 1 MiB for
 * the few frames the proxy holds between its two sides.
 */
const AHEAD_BOUND_BYTES = 65_535 + DEFAULT_STREAM_WINDOW_BYTES + 2 * MIB + MIB;
/**
 * Proxy RSS growth allowed while the client stalls: what the windows let through and the records
 * of its two messages (payload and raw, base64) are a few MiB; the rest is room for garbage not
 * yet collected. A proxy buffering the stalled response would grow by some 60 MiB.
 */
const RSS_BOUND_MIB = 32;

describe('client faults', () => {
  let rig: HostileRig;
  let upstream: H2Server;
  const held: http2.ServerHttp2Stream[] = [];
  /** Bytes the bulk handler handed to `write()`, and whether it now waits for 'drain'. */
  const bulk = { written: 0, blocked: false, done: false };

  before(async () => {
    rig = await startHostileRig();
    upstream = await startH2Server((stream, headers) => {
      stream.resume();
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      if (headers[':path'] === '/client.Svc/Hold') {
        held.push(stream);
        stream.write(grpcMessage(Buffer.from('first')));
        return;
      }
      // 64 MiB as 1 MiB messages, written only while the stream accepts more.
      const message = grpcMessage(Buffer.alloc(MIB - 5, 7));
      const pump = (): void => {
        while (bulk.written < SLOW_TOTAL) {
          bulk.written += message.length;
          if (!stream.write(message)) {
            bulk.blocked = true;
            stream.once('drain', () => {
              bulk.blocked = false;
              pump();
            });
            return;
          }
        }
        bulk.done = true;
        stream.end();
      };
      pump();
    }, rig.pki.localhost);
  });
  after(async () => {
    await upstream.close();
    assert.equal(await rig.close(), 0);
  });

  const flowOf = (path: string): JsonRecord[] => {
    const records = readRecordFile(rig.recordPath);
    const start = records.findLast(
      (r) => r.event === 'start' && r.direction === 'send' && r.path === path,
    );
    return records.filter((r) => start !== undefined && r.flowId === start.flowId);
  };

  test('a client cancelling a server stream cancels the upstream call too', async () => {
    await rig.survive(async () => {
      const echoed = rig.echo.cancelled;
      const before = echoed.length;
      const serverStream = (rig.client as unknown as Record<string, StreamMethod>).ServerStream;
      const call = serverStream?.call(rig.client, { text: 'c', count: 3, holdOpen: true });
      assert.ok(call);
      call.on('error', () => {});
      let received = 0;
      await new Promise<void>((resolve) =>
        call.on('data', () => {
          received += 1;
          if (received === 3) resolve();
        }),
      );
      call.cancel();
      await waitUntil(() => echoed.length > before, 'the server to hold the call');
      await (echoed[before] as Promise<void>);
      await waitUntil(
        () => flowOf('/grpctap.test.Echo/ServerStream').some((r) => r.event === 'flow'),
        'the flow record',
      );
      const end = flowOf('/grpctap.test.Echo/ServerStream').find((r) => r.event === 'end');
      const error = end?.error as { code: string; side: string } | undefined;
      assert.deepEqual([error?.code, error?.side], ['CANCEL', 'client']);
    });
  });

  test('a client that vanishes (socket destroyed) gets its upstream stream cancelled', async () => {
    await rig.survive(async () => {
      const before = held.length;
      const session = await connectThroughProxy(
        rig.proxy.port,
        `localhost:${upstream.port}`,
        rig.proxyCa,
      );
      const stream = session.request({
        ':method': 'POST',
        ':path': '/client.Svc/Hold',
        'content-type': 'application/grpc',
      });
      stream.on('error', () => {});
      await new Promise((resolve) => stream.once('data', resolve));
      rawSocketOf(session).destroy();
      await waitUntil(
        () => held.length > before && (held[before] as http2.ServerHttp2Stream).closed,
        'the upstream stream to close',
      );
      assert.equal(
        (held[before] as http2.ServerHttp2Stream).rstCode,
        http2.constants.NGHTTP2_CANCEL,
      );
      await waitUntil(() => flowOf('/client.Svc/Hold').some((r) => r.event === 'flow'), 'the flow');
      const end = flowOf('/client.Svc/Hold').find((r) => r.event === 'end');
      const error = end?.error as { code: string; side: string } | undefined;
      assert.deepEqual([error?.code, error?.side], ['CANCEL', 'client']);
    });
  });

  test('a client that stops reading 64 MiB holds the upstream back, not the proxy memory', async (t) => {
    await rig.survive(async () => {
      const pid = rig.proxy.child.pid as number;
      const rssBefore = readRssMiB(pid);
      let flowRecorded: Promise<void> | undefined;
      const session = await connectThroughProxy(
        rig.proxy.port,
        `localhost:${upstream.port}`,
        rig.proxyCa,
      );
      try {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/client.Svc/Bulk',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        stream.end(grpcMessage(Buffer.alloc(0)));
        let received = 0;
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
        });
        stream.pause();
        await waitUntil(
          () => stream.state.localWindowSize === 0,
          "the proxy to fill the client's stream window",
          30_000,
        );
        // From here the proxy can send the client nothing. The upstream may still fill the
        // proxy's own window (slowly, on a loaded machine), but it must never get further ahead
        // of the client than the windows on the path allow; it is watched until it has waited
        // for 'drain' without writing for a second, and for at least 2.5 s in all.
        const filledAt = Date.now();
        let lastWritten = bulk.written;
        let lastWriteAt = filledAt;
        await waitUntil(
          () => {
            const ahead = bulk.written - received;
            assert.ok(
              ahead <= AHEAD_BOUND_BYTES,
              `the upstream got ${(ahead / MIB).toFixed(1)} MiB ahead of the client; the windows allow ${(AHEAD_BOUND_BYTES / MIB).toFixed(1)}`,
            );
            assert.equal(
              bulk.done,
              false,
              'the upstream wrote everything to a client that reads nothing',
            );
            const now = Date.now();
            if (bulk.written !== lastWritten) {
              lastWritten = bulk.written;
              lastWriteAt = now;
            }
            return bulk.blocked && now - lastWriteAt >= 1000 && now - filledAt >= 2500;
          },
          'the upstream to stay blocked',
          60_000,
        );
        const writtenWhilePaused = bulk.written;
        assert.ok(
          writtenWhilePaused < 16 * MIB,
          `only ${writtenWhilePaused / MIB} MiB left the upstream`,
        );
        const growth = readRssMiB(pid) - rssBefore;
        t.diagnostic(
          `upstream wrote ${(writtenWhilePaused / MIB).toFixed(1)} MiB before blocking; proxy RSS +${growth.toFixed(1)} MiB`,
        );
        assert.ok(
          growth < RSS_BOUND_MIB,
          `proxy RSS grew ${growth.toFixed(1)} MiB while the client stalled`,
        );

        // The 64 records of 1 MiB messages are read while they arrive, not in one block after.
        flowRecorded = waitUntil(
          () => flowOf('/client.Svc/Bulk').some((r) => r.event === 'flow'),
          'the flow',
          60_000,
        );
        flowRecorded.catch(() => {});
        stream.resume();
        await new Promise((resolve) => stream.once('close', resolve));
        assert.equal(stream.rstCode, http2.constants.NGHTTP2_NO_ERROR);
        assert.ok(bulk.done);
        assert.equal(received, SLOW_TOTAL);
      } finally {
        session.close();
      }
      assert.ok(flowRecorded);
      await flowRecorded;
      const flow = flowOf('/client.Svc/Bulk').find((r) => r.event === 'flow');
      assert.equal(flow?.responseMessages, 64);
      assert.equal(flow?.state, 'complete');
    });
  });
});
