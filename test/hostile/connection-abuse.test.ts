/**
 * Connection-level abuse of the real proxy: garbage instead of a request, CONNECT to nowhere,
 * handshakes that never finish, silent and vanishing clients, connection churn, the connection
 * cap, proxy credentials, and the idle and liveness timeouts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EchoClient } from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import { encodeHeaders, FrameType, parseGoaway } from '../helpers/raw-h2.js';
import { startProxy } from '../helpers/start-proxy.js';
import {
  closesWithin,
  connectRawH2c,
  countOpenFds,
  grpcRequestHeaders,
  openTunnel,
  readRecordFile,
} from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';
import { waitForValue, waitUntil } from '../helpers/wait.js';

/** Everything the peer sends until it closes (or `timeoutMs` passes), as Latin-1 text. */
function readUntilClose(socket: net.Socket, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(`${text}<still open>`), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** The first `length` bytes of a real TLS ClientHello (from Node's own TLS client). */
async function partialClientHello(length: number): Promise<Buffer> {
  const capture = net.createServer();
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const { port } = capture.address() as net.AddressInfo;
  const hello = new Promise<Buffer>((resolve) =>
    capture.once('connection', (socket) =>
      socket.once('data', (chunk: Buffer) => {
        resolve(chunk);
        socket.destroy();
      }),
    ),
  );
  const tls = await import('node:tls');
  const client = tls.connect({ port, host: '127.0.0.1', servername: 'localhost' });
  client.on('error', () => {});
  const bytes = await hello;
  client.destroy();
  capture.close();
  assert.equal(bytes[0], 0x16, 'a TLS handshake record');
  return bytes.subarray(0, length);
}

describe('hostile connections', () => {
  let rig: HostileRig;

  before(async () => {
    rig = await startHostileRig(['--handshake-timeout', '1s', '--idle-timeout', '2s']);
  });
  after(async () => {
    assert.equal(await rig.close(), 0);
  });

  test('random bytes instead of a request get 400 or a close, and a log line', async () => {
    await rig.survive(async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const socket = await connect(rig.proxy.port);
        socket.write(randomBytes(4096));
        const answer = await readUntilClose(socket);
        assert.ok(
          answer === '' || /^HTTP\/1\.1 400/.test(answer),
          `answer: ${answer.slice(0, 40)}`,
        );
      }
      await rig.proxy.waitForStderr(/not TLS, HTTP\/1\.1 or HTTP\/2|400|malformed TLS/);
    });
  });

  test('CONNECT to port 0 or to no host is refused with 400', async () => {
    await rig.survive(async () => {
      for (const target of [':0', 'localhost:0', ':443', 'localhost:99999', '[::1', 'a b:443']) {
        const { socket, head } = await openTunnel(rig.proxy.port, target);
        assert.match(head, /^HTTP\/1\.1 400/, `CONNECT ${target}`);
        socket.destroy();
      }
      await rig.proxy.waitForStderr(/CONNECT :0 from .*: not a host:port/);
    });
  });

  test('CONNECT to a name that does not resolve: the call fails UNAVAILABLE naming DNS', async () => {
    await rig.survive(async () => {
      const { socket, head } = await openTunnel(rig.proxy.port, 'no-such-host.invalid:443');
      assert.match(head, /^HTTP\/1\.1 200/, 'the tunnel is accepted; the failure comes per call');
      socket.destroy();

      const client = rig.createClient();
      const target = new EchoClient(
        'no-such-host.invalid:443',
        grpc.credentials.createSsl(Buffer.from(rig.proxyCa)),
      );
      try {
        const error = await callUnary(target, { text: 'x' }).then(
          () => assert.fail('the call must fail'),
          (e: grpc.ServiceError) => e,
        );
        assert.equal(error.code, grpc.status.UNAVAILABLE);
        assert.match(error.details, /cannot resolve no-such-host\.invalid:443: .*ENOTFOUND/);
      } finally {
        target.close();
        client.close();
      }
      await waitUntil(
        () =>
          readRecordFile(rig.recordPath).some(
            (r) =>
              r.event === 'end' &&
              (r.error as { code?: string } | null)?.code === 'UPSTREAM_DNS_FAILED',
          ),
        'an UPSTREAM_DNS_FAILED end record',
      );
      await rig.proxy.waitForStderr(/Unary: cannot resolve no-such-host\.invalid:443: /);
    });
  });

  test('a ClientHello that stops halfway is closed after --handshake-timeout', async () => {
    await rig.survive(async () => {
      const half = await partialClientHello(100);
      const direct = await connect(rig.proxy.port);
      direct.write(half);
      const { socket: tunnel } = await openTunnel(rig.proxy.port, `localhost:${rig.echo.port}`);
      tunnel.write(half);
      const started = Date.now();
      assert.ok(await closesWithin(direct, 5000), 'the direct connection is closed');
      assert.ok(await closesWithin(tunnel, 5000), 'the tunnel is closed');
      assert.ok(Date.now() - started >= 500, 'not before the timeout');
      await rig.proxy.waitForStderr(/nothing recognisable within 1000 ms/);
    });
  });

  test('a client that sends a whole ClientHello and then stalls is cut at the timeout', async () => {
    await rig.survive(async () => {
      const hello = await partialClientHello(100_000);
      const { socket } = await openTunnel(rig.proxy.port, `localhost:${rig.echo.port}`);
      socket.write(hello);
      assert.ok(await closesWithin(socket, 5000));
      await rig.proxy.waitForStderr(/TLS handshake not finished within 1000 ms/);
    });
  });

  test('a client that connects and says nothing is closed after the timeout', async () => {
    await rig.survive(async () => {
      const pid = rig.proxy.child.pid as number;
      const baseline = countOpenFds(pid);
      const socket = await connect(rig.proxy.port);
      const { socket: tunnel } = await openTunnel(rig.proxy.port, `localhost:${rig.echo.port}`);
      // Clients that neither read our 400 nor close: the proxy must let go of them itself.
      const deaf = await Promise.all(Array.from({ length: 20 }, () => connect(rig.proxy.port)));
      assert.ok(await closesWithin(socket, 5000));
      assert.ok(await closesWithin(tunnel, 5000));
      await waitUntil(() => countOpenFds(pid) <= baseline + 2, 'the proxy to close them', 5000);
      for (const each of deaf) each.destroy();
      await rig.proxy.waitForStderr(
        /connection from .*: nothing recognisable within 1000 ms; closing/,
      );
    });
  });

  test('1000 connections opened and dropped leave no file descriptor behind', async (t) => {
    await rig.survive(async () => {
      const pid = rig.proxy.child.pid as number;
      // Connections of earlier tests may still be closing: the baseline is a count that has
      // stopped changing between two reads.
      let previous = -1;
      const baseline = await waitForValue(
        () => {
          const now = countOpenFds(pid);
          const settled = now === previous ? now : undefined;
          previous = now;
          return settled;
        },
        'a settled file descriptor count',
        15_000,
        100,
      );
      for (let batch = 0; batch < 10; batch++) {
        const sockets = await Promise.all(
          Array.from({ length: 100 }, async (_unused, index) => {
            const socket = await connect(rig.proxy.port);
            // A mix: nothing, half a request line, a CONNECT head, the h2c preface.
            const starts = [
              '',
              'GET / HT',
              'CONNECT localhost:1 HTTP/1.1\r\n',
              'PRI * HTTP/2.0\r\n',
            ];
            socket.write(starts[index % starts.length] as string);
            return socket;
          }),
        );
        for (const socket of sockets) socket.destroy();
      }
      await waitUntil(
        () => countOpenFds(pid) <= baseline + 2,
        `fds back to ${baseline} (now ${countOpenFds(pid)})`,
        15_000,
      );
      t.diagnostic(`open fds: ${baseline} before, ${countOpenFds(pid)} after 1000 connections`);
    });
  });

  test('an HTTP/2 connection with no open stream is closed after --idle-timeout', async () => {
    await rig.survive(async () => {
      const upstream = http2.createServer();
      upstream.on('stream', (stream) => {
        stream.respond({ ':status': 200 });
        setTimeout(() => stream.end(), 2500);
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const authority = `127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
      try {
        const idle = await connectRawH2c(rig.proxy.port);
        const busy = await connectRawH2c(rig.proxy.port);
        busy.write(
          encodeHeaders(1, grpcRequestHeaders('/slow.Svc/Call', authority), { endStream: true }),
        );
        const goaway = parseGoaway(
          await idle.waitForFrame((f) => f.type === FrameType.GOAWAY, 4000),
        );
        assert.equal(goaway.errorCode, 0, 'GOAWAY NO_ERROR');
        assert.ok(await closesWithin(idle.socket, 2000));
        assert.equal(busy.isClosed, false, 'a connection with an open stream stays');
        assert.ok(await closesWithin(busy.socket, 6000), 'and goes once it is idle');
        await rig.proxy.waitForStderr(/no open stream for 2000 ms \(--idle-timeout\); closing/);
      } finally {
        upstream.close();
      }
    });
  });

  test('a client that stops answering PING is closed, even with a stream open', async () => {
    await rig.survive(async () => {
      const upstream = http2.createServer();
      upstream.on('stream', () => {});
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const authority = `127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
      try {
        const silent = await connectRawH2c(rig.proxy.port, { autoAck: false });
        // An open stream keeps --idle-timeout out of it: only the liveness check can act.
        silent.write(encodeHeaders(1, grpcRequestHeaders('/hold.Svc/Call', authority)));
        const ping = await silent.waitForFrame((f) => f.type === FrameType.PING, 4000);
        assert.equal(ping.streamId, 0);
        assert.ok(await closesWithin(silent.socket, 4000));
        await rig.proxy.waitForStderr(/no answer to a PING within 1000 ms/);
      } finally {
        upstream.close();
      }
    });
  });
});

describe('listener limits and credentials', () => {
  test('--max-connections refuses the excess connection and says so', async () => {
    const proxy = await startProxy({
      args: ['--max-connections', '3', '--handshake-timeout', '5s'],
    });
    try {
      const held = await Promise.all([1, 2, 3].map(() => connect(proxy.port)));
      // The kernel completes a TCP handshake before Node accepts it: a fourth connection is
      // refused only once the proxy has accepted the three, so it is tried until one is.
      await waitUntil(
        async () => {
          const extra = await connect(proxy.port);
          const closed = await closesWithin(extra, 1000);
          extra.destroy();
          return closed;
        },
        'a fourth connection closed at once',
        30_000,
      );
      await proxy.waitForStderr('refusing connections: 3 open (--max-connections)');
      for (const socket of held) socket.destroy();
      // Served again once the proxy has seen the three close: tried until a request is answered.
      await waitUntil(
        async () => {
          const again = await connect(proxy.port);
          again.write('GET http://127.0.0.1:1/ HTTP/1.1\r\nhost: 127.0.0.1:1\r\n\r\n');
          const answer = await readUntilClose(again, 3000);
          again.destroy();
          return /^HTTP\/1\.1 502/.test(answer);
        },
        'a request served again after the held connections closed',
        30_000,
      );
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });

  test('listening beyond loopback prints a warning', async () => {
    const proxy = await startProxy({ args: ['--listen', '0.0.0.0:0'] });
    try {
      await proxy.waitForStderr(/WARNING: listening on 0\.0\.0\.0: anyone who can reach/);
    } finally {
      await proxy.stop();
    }
    const local = await startProxy();
    try {
      assert.doesNotMatch(local.stderr(), /WARNING/);
    } finally {
      await local.stop();
    }
  });

  test('--proxy-auth answers wrong credentials with 407 for CONNECT, absolute-form and h2c', async () => {
    const proxy = await startProxy({ args: ['--proxy-auth', 'alice:s3cret'] });
    const wrong = `Basic ${Buffer.from('alice:guess').toString('base64')}`;
    const right = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    try {
      const connectWrong = await openTunnel(proxy.port, 'localhost:1', [
        `proxy-authorization: ${wrong}`,
      ]);
      assert.match(connectWrong.head, /^HTTP\/1\.1 407/);
      assert.match(connectWrong.head, /proxy-authenticate: Basic realm="grpctap"/i);
      connectWrong.socket.destroy();
      const connectRight = await openTunnel(proxy.port, 'localhost:1', [
        `proxy-authorization: ${right}`,
      ]);
      assert.match(connectRight.head, /^HTTP\/1\.1 200/);
      connectRight.socket.destroy();

      const plain = await connect(proxy.port);
      plain.write(
        `GET http://127.0.0.1:1/ HTTP/1.1\r\nhost: 127.0.0.1:1\r\nproxy-authorization: ${wrong}\r\n\r\n`,
      );
      assert.match(await readUntilClose(plain, 2000), /^HTTP\/1\.1 407/);
      plain.destroy();

      const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
      session.on('error', () => {});
      try {
        for (const grpcCall of [false, true]) {
          const stream = session.request({
            ':method': 'POST',
            ':path': '/a.B/C',
            ':authority': '127.0.0.1:1',
            'proxy-authorization': wrong,
            ...(grpcCall ? { 'content-type': 'application/grpc' } : {}),
          });
          stream.on('error', () => {});
          const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
            stream.once('response', resolve),
          );
          assert.equal(headers[':status'], 407);
          assert.equal(headers['proxy-authenticate'], 'Basic realm="grpctap"');
          if (grpcCall) assert.equal(headers['grpc-status'], '16');
          stream.close();
        }
      } finally {
        session.close();
      }
      await proxy.waitForStderr(/missing or wrong proxy credentials/);
    } finally {
      assert.equal(await proxy.stop(), 0);
    }
  });
});
