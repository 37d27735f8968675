import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { EchoClient, type EchoServer, startEchoServer } from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import {
  connectThroughProxy,
  type H2Server,
  rawSocketOf,
  request,
  startH2Server,
} from '../helpers/h2-peers.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { waitUntil } from '../helpers/wait.js';

const GRPC_REQUEST = { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' };

/** Paths whose response ends without trailers and is then reset with this code. */
const END_THEN_RESET: Readonly<Record<string, number>> = {
  '/fault.Svc/EndThenReset': http2.constants.NGHTTP2_INTERNAL_ERROR,
  '/fault.Svc/EndThenStop': http2.constants.NGHTTP2_NO_ERROR,
};

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('faults: the affected call fails clearly and the proxy keeps serving', () => {
  let pki: TestPki;
  let echo: EchoServer;
  let upstream: H2Server;
  let proxy: ProxyProcess;
  let proxyCa: string;
  let healthy: grpc.Client;
  const upstreamCloses: (number | undefined)[] = [];
  /** Resolved by `callWithOpenRequest` when its response ends; one such call at a time. */
  let reportEnd = (): void => {};
  let clientSawEnd = Promise.resolve();

  before(async () => {
    pki = await createTestPki();
    echo = await startEchoServer(pki.localhost);
    upstream = await startH2Server((stream, headers) => {
      const path = headers[':path'];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const endThenReset = END_THEN_RESET[String(path)];
      if (endThenReset !== undefined) {
        // END_STREAM first, RST_STREAM once the client has seen the end (so the proxy has
        // forwarded it). The request stays open, and is read: Node closes a stream whose request
        // nobody reads as soon as it has answered.
        stream.resume();
        stream.end(Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
        void clientSawEnd.then(() => stream.close(endThenReset));
        return;
      }
      stream.write(Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]));
      if (path === '/fault.Svc/Reset') stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else if (path === '/fault.Svc/Drop') stream.session?.destroy();
      else stream.on('close', () => upstreamCloses.push(stream.rstCode));
    }, pki.localhost);
    proxy = await startProxy({ args: ['--upstream-ca', pki.caPath] });
    proxyCa = await readFile(proxy.caPath, 'utf8');
    process.env.grpc_proxy = proxy.url;
    healthy = new EchoClient(
      `localhost:${echo.port}`,
      grpc.credentials.createSsl(Buffer.from(proxyCa)),
    );
  });
  after(async () => {
    healthy.close();
    delete process.env.grpc_proxy;
    await echo.close();
    await upstream.close();
    await proxy.stop();
    await pki.remove();
  });

  const stillServes = async (): Promise<void> => {
    const reply = await callUnary(healthy, { text: 'still here' });
    assert.equal(reply.value.text, 'still here');
  };

  test('answers garbage instead of CONNECT with 400 and a log line', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02]));
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    await proxy.waitForStderr('not TLS, HTTP/1.1 or HTTP/2');
    await stillServes();
  });

  test('logs a client that rejects the minted certificate', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`CONNECT localhost:${echo.port} HTTP/1.1\r\nhost: localhost\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    const client = tls.connect({ socket, servername: 'localhost', ALPNProtocols: ['h2'] });
    const error = await new Promise<Error>((resolve) => client.once('error', resolve));
    assert.match(error.message, /self.signed|unable to get local issuer|unable to verify/i);
    await proxy.waitForStderr(
      /closed the connection (during the handshake|before speaking HTTP\/2)/,
    );
    await stillServes();
  });

  test('logs a client that aborts the handshake with an alert (curl without --cacert)', async () => {
    const { execFile } = await import('node:child_process');
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile('curl', [
        '--silent',
        '--http2',
        '--proxy',
        proxy.url,
        `https://localhost:${echo.port}/`,
      ]);
      child.on('exit', resolve);
    });
    assert.equal(code, 60, 'curl exit 60: peer certificate cannot be authenticated');
    await proxy.waitForStderr(/TLS handshake with client .* failed/);
    await stillServes();
  });

  test('answers a refused upstream with gRPC UNAVAILABLE naming the cause', async () => {
    const port = await closedPort();
    const client = new EchoClient(
      `localhost:${port}`,
      grpc.credentials.createSsl(Buffer.from(proxyCa)),
    );
    try {
      const error = await callUnary(client, { text: 'x' }).then(
        () => assert.fail('the call should fail'),
        (e: grpc.ServiceError) => e,
      );
      assert.equal(error.code, grpc.status.UNAVAILABLE);
      assert.match(error.details, /refused/);
    } finally {
      client.close();
    }
    const end = await proxy.waitForRecord(
      (r) =>
        r.event === 'end' && (r.error as { code?: string } | null)?.code === 'UPSTREAM_REFUSED',
    );
    assert.equal(end.status, null);
    assert.equal((end.error as { side: string }).side, 'upstream');
    await stillServes();
  });

  test('refuses an upstream whose certificate does not verify, and says so', async () => {
    const strict = await startProxy();
    const ca = await readFile(strict.caPath);
    process.env.grpc_proxy = strict.url;
    const client = new EchoClient(`localhost:${echo.port}`, grpc.credentials.createSsl(ca));
    process.env.grpc_proxy = proxy.url;
    try {
      const error = await callUnary(client, { text: 'x' }).then(
        () => assert.fail('the call should fail'),
        (e: grpc.ServiceError) => e,
      );
      assert.equal(error.code, grpc.status.UNAVAILABLE);
      assert.match(error.details, /certificate verification failed/);
      await strict.waitForStderr('certificate verification failed');
    } finally {
      client.close();
      await strict.stop();
    }
  });

  test('passes an upstream reset mid-stream to the client and records it', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const response = await request(
        session,
        { ...GRPC_REQUEST, ':path': '/fault.Svc/Reset' },
        Buffer.alloc(0),
      );
      assert.equal(response.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    } finally {
      session.close();
    }
    const end = await proxy.waitForRecord(
      (r) => r.event === 'end' && (r.error as { code?: string } | null)?.code === 'INTERNAL_ERROR',
    );
    assert.equal((end.error as { side: string }).side, 'upstream');
    await stillServes();
  });

  /** Calls `method` with its request left open; resolves with the client stream's reset code. */
  async function callWithOpenRequest(method: string): Promise<number | undefined> {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      clientSawEnd = new Promise((resolve) => {
        reportEnd = resolve;
      });
      const stream = session.request({ ...GRPC_REQUEST, ':path': `/fault.Svc/${method}` });
      stream.on('error', () => {});
      stream.once('end', () => reportEnd());
      stream.resume();
      await new Promise((resolve) => stream.once('close', resolve));
      return stream.rstCode;
    } finally {
      session.close();
    }
  }

  /** The `end` record of the call to `method` (one call per method in this suite). */
  async function endRecordOf(method: string): Promise<Record<string, unknown>> {
    const flow = await proxy.waitForRecord((r) => r.event === 'flow' && r.method === method);
    const end = proxy.records().find((r) => r.event === 'end' && r.flowId === flow.flowId);
    assert.ok(end, `an end record for ${method}`);
    return end;
  }

  test('records a reset that follows the end of a response without trailers as the end', async () => {
    const rstCode = await callWithOpenRequest('EndThenReset');
    assert.equal(rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    const end = await endRecordOf('EndThenReset');
    assert.equal(end.status, null);
    assert.deepEqual(
      { code: (end.error as { code: string }).code, side: (end.error as { side: string }).side },
      { code: 'INTERNAL_ERROR', side: 'upstream' },
    );
    await stillServes();
  });

  test('records a response without trailers as ended when the reset after it is NO_ERROR', async () => {
    await callWithOpenRequest('EndThenStop');
    const end = await endRecordOf('EndThenStop');
    assert.equal(end.error, null);
    assert.equal(end.statusName, 'UNKNOWN');
    assert.equal(end.message, 'response carried no grpc-status');
    await stillServes();
  });

  test('ends the client stream when the upstream connection drops mid-stream', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const response = await request(
        session,
        { ...GRPC_REQUEST, ':path': '/fault.Svc/Drop' },
        Buffer.alloc(0),
      );
      assert.notEqual(response.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    } finally {
      session.close();
    }
    const flow = await proxy.waitForRecord((r) => r.event === 'flow' && r.method === 'Drop');
    assert.equal(flow.state, 'error');
    await stillServes();
  });

  test('cancels the upstream stream when the client disappears', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    const stream = session.request({ ...GRPC_REQUEST, ':path': '/fault.Svc/Hold' });
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('data', resolve));
    rawSocketOf(session).destroy();
    await waitUntil(() => upstreamCloses.length > 0, 'the upstream stream to close');
    assert.equal(upstreamCloses[0], http2.constants.NGHTTP2_CANCEL);
    const end = await proxy.waitForRecord(
      (r) =>
        r.event === 'end' &&
        r.status === null &&
        (r.error as { side?: string } | null)?.side === 'client',
    );
    assert.equal((end.error as { code: string }).code, 'CANCEL');
    await stillServes();
  });
});
