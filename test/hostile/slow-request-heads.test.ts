/**
 * Slow or silent new connections under `--handshake-timeout 1s --max-connections 5`: half a
 * CONNECT line, half a request head (direct, in a tunnel, over TLS in a tunnel). Each holds a
 * connection slot only until the timeout, so a well-behaved client is served again about a second
 * later (the HTTP/1.1 head timeout used to be a fixed 60 s, checked every 10 s). Idle keep-alive
 * connections go after `--idle-timeout`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { openTunnel } from './hostile-harness.js';

const SLOTS = 5;
const TIMEOUT_MS = 1000;

/** A slow client: its socket, when its clock started, and everything it got until it closed. */
interface SlowClient {
  readonly startedAt: number;
  readonly closed: Promise<{ at: number; answer: string }>;
}

function watch(socket: net.Socket | tls.TLSSocket, startedAt: number): SlowClient {
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('latin1');
  });
  const closed = new Promise<{ at: number; answer: string }>((resolve) =>
    socket.once('close', () => resolve({ at: Date.now(), answer })),
  );
  return { startedAt, closed };
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** One plain absolute-form GET through the proxy; the answer's status line, or '' if refused. */
async function tryRequest(proxyPort: number, upstreamPort: number): Promise<string> {
  const socket = await connect(proxyPort);
  const authority = `127.0.0.1:${upstreamPort}`;
  socket.write(
    `GET http://${authority}/ HTTP/1.1\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`,
  );
  const { answer } = await watch(socket, Date.now()).closed;
  return answer.split('\r\n')[0] ?? '';
}

describe('slow request heads', () => {
  let upstream: http.Server;
  let upstreamPort: number;

  before(async () => {
    upstream = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
  });
  after(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  /**
   * Fills every slot with `open()`, then checks that the slots were taken, that a well-behaved
   * client gets in once the timeout has passed, and that each slow client was closed near the
   * timeout with the log line naming it.
   */
  async function lockOutAndRecover(
    proxy: ProxyProcess,
    open: () => Promise<SlowClient>,
    logged: RegExp,
    report: (line: string) => void,
  ): Promise<SlowClient[]> {
    const slow: SlowClient[] = [];
    for (let index = 0; index < SLOTS; index++) slow.push(await open());
    const filledAt = Date.now();
    const early = await tryRequest(proxy.port, upstreamPort);
    if (Date.now() - Math.min(...slow.map((s) => s.startedAt)) < TIMEOUT_MS / 2) {
      assert.equal(early, '', 'while the slow clients hold every slot, a new one is refused');
    }
    let status = early;
    const deadline = Date.now() + 10_000;
    while (status !== 'HTTP/1.1 200 OK' && Date.now() < deadline) {
      status = await tryRequest(proxy.port, upstreamPort);
    }
    assert.equal(status, 'HTTP/1.1 200 OK', 'a well-behaved client is served again');
    const servedAfterMs = Date.now() - filledAt;
    const held: number[] = [];
    for (const client of slow) {
      const { at } = await client.closed;
      const heldMs = at - client.startedAt;
      held.push(heldMs);
      assert.ok(heldMs >= TIMEOUT_MS - 100, `closed after ${heldMs} ms, not before the timeout`);
      assert.ok(heldMs < 5000, `closed after ${heldMs} ms, near the timeout (not 60 s)`);
    }
    await proxy.waitForStderr(logged);
    assert.ok(servedAfterMs < 5000, `served again ${servedAfterMs} ms after the slots filled`);
    report(
      `slow clients closed after ${held.join(', ')} ms; served again after ${servedAfterMs} ms`,
    );
    return slow;
  }

  const args = ['--max-connections', String(SLOTS), '--handshake-timeout', '1s'];

  test('half a CONNECT line holds its slot only until --handshake-timeout', async (t) => {
    const proxy = await startProxy({ args });
    try {
      const slow = await lockOutAndRecover(
        proxy,
        async () => {
          const socket = await connect(proxy.port);
          socket.write('CONNECT 127.0.0.1:443 HT');
          return watch(socket, Date.now());
        },
        /http1: client 127\.0\.0\.1:\d+: no complete request head within 1000 ms \(--handshake-timeout\); closing/,
        (line) => t.diagnostic(line),
      );
      for (const client of slow) {
        assert.match((await client.closed).answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      }
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });

  test('half a request head, direct or inside a tunnel, holds its slot only until the timeout', async (t) => {
    const proxy = await startProxy({ args });
    const authority = `127.0.0.1:${upstreamPort}`;
    try {
      await lockOutAndRecover(
        proxy,
        async () => {
          const socket = await connect(proxy.port);
          socket.write(`GET http://${authority}/ HTTP/1.1\r\nhost: ${authority}\r\nx-slow: y`);
          return watch(socket, Date.now());
        },
        /http1: client 127\.0\.0\.1:\d+: no complete request head within 1000 ms/,
        (line) => t.diagnostic(`direct: ${line}`),
      );
      await lockOutAndRecover(
        proxy,
        async () => {
          const { socket, head } = await openTunnel(proxy.port, authority);
          assert.match(head, /^HTTP\/1\.1 200/);
          const startedAt = Date.now();
          socket.write(`GET / HTTP/1.1\r\nhost: ${authority}\r\n`);
          return watch(socket, startedAt);
        },
        new RegExp(
          `http1: client 127\\.0\\.0\\.1:\\d+ \\(tunnel to ${authority.replaceAll('.', '\\.')}\\): no complete request head within 1000 ms`,
        ),
        (line) => t.diagnostic(`in a tunnel: ${line}`),
      );
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });

  test('TLS in a tunnel and then half a request head: one timeout for both', async (t) => {
    const proxy = await startProxy({ args });
    const ca = await readFile(proxy.caPath, 'utf8');
    try {
      await lockOutAndRecover(
        proxy,
        async () => {
          const { socket, head } = await openTunnel(proxy.port, `localhost:${upstreamPort}`);
          assert.match(head, /^HTTP\/1\.1 200/);
          const startedAt = Date.now();
          const secure = tls.connect({
            socket,
            servername: 'localhost',
            ca,
            ALPNProtocols: ['http/1.1'],
          });
          secure.on('error', () => {});
          await new Promise((resolve) => secure.once('secureConnect', resolve));
          secure.write(`GET / HTTP/1.1\r\nhost: localhost:${upstreamPort}\r\n`);
          const client = watch(secure, startedAt);
          return client;
        },
        /http1: client 127\.0\.0\.1:\d+ \(tunnel to localhost:\d+\): no complete request head within 1000 ms/,
        (line) => t.diagnostic(line),
      );
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });

  test('keep-alive: a later head has --handshake-timeout from its first byte, idleness --idle-timeout', async (t) => {
    const proxy = await startProxy({ args: ['--handshake-timeout', '1s', '--idle-timeout', '2s'] });
    const authority = `127.0.0.1:${upstreamPort}`;
    const request = `GET http://${authority}/ HTTP/1.1\r\nhost: ${authority}\r\n\r\n`;
    try {
      for (const then of ['idle', 'half a head'] as const) {
        const socket = await connect(proxy.port);
        const client = watch(socket, Date.now());
        let answer = '';
        socket.on('data', (chunk: Buffer) => {
          answer += chunk.toString('latin1');
        });
        socket.write(request);
        const answeredAt = await new Promise<number>((resolve) => {
          const check = (): void => {
            if (!answer.endsWith('ok')) return;
            socket.off('data', check);
            resolve(Date.now());
          };
          socket.on('data', check);
        });
        assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(answer, /\r\nkeep-alive: timeout=2\r\n/i);
        if (then === 'half a head') socket.write(`GET http://${authority}/ HTTP/1.1\r\nhost:`);
        const { at, answer: all } = await client.closed;
        const heldMs = at - answeredAt;
        t.diagnostic(`keep-alive, ${then}: closed ${heldMs} ms after the response`);
        if (then === 'idle') {
          assert.ok(heldMs >= 1900 && heldMs < 6000, `idle connection closed after ${heldMs} ms`);
        } else {
          assert.ok(heldMs >= 900 && heldMs < 4000, `slow second head closed after ${heldMs} ms`);
          assert.match(all, /HTTP\/1\.1 408 Request Timeout\r\n/);
        }
      }
      await proxy.waitForStderr(
        /http1: client 127\.0\.0\.1:\d+: no complete request head within 1000 ms of its first byte \(--handshake-timeout\); closing/,
      );
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });
});
