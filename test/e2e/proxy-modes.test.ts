import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { EchoClient, type EchoServer, startEchoServer } from '../helpers/echo-server.js';
import { callBidi, callClientStream, callServerStream, callUnary } from '../helpers/grpc-calls.js';
import { connectThroughProxy, type H2Server, request, startH2Server } from '../helpers/h2-peers.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { waitUntil } from '../helpers/wait.js';

const run = promisify(execFile);

async function exerciseAllCallKinds(client: grpc.Client): Promise<void> {
  const metadata = new grpc.Metadata();
  metadata.set('x-echo', 'm');
  const unary = await callUnary(client, { text: 'u' }, metadata);
  assert.equal(unary.value.text, 'u');
  assert.deepEqual(unary.headers.get('x-echo'), ['m']);
  assert.deepEqual(unary.trailers.get('x-trailer'), ['trailer-value']);
  const stream = await callServerStream(client, { text: 's', count: 3 });
  assert.deepEqual(
    stream.value.map((r) => r.text),
    ['s#0', 's#1', 's#2'],
  );
  const upload = await callClientStream(client, [{ text: 'a' }, { text: 'b' }]);
  assert.equal(upload.value.text, 'a,b');
  const bidi = await callBidi(client, [{ text: 'x' }, { text: 'y' }]);
  assert.deepEqual(
    bidi.value.map((r) => r.text),
    ['echo:x', 'echo:y'],
  );
}

describe('reverse mode', () => {
  let pki: TestPki;
  let server: EchoServer;
  let proxy: ProxyProcess;

  before(async () => {
    pki = await createTestPki();
    server = await startEchoServer(pki.localhost);
    proxy = await startProxy({
      args: ['--reverse', `https://localhost:${server.port}`, '--upstream-ca', pki.caPath],
    });
  });
  after(async () => {
    await server.close();
    await proxy.stop();
    await pki.remove();
  });

  test('serves all four call kinds to a grpc-js client that connects to it directly', async () => {
    const ca = await readFile(proxy.caPath);
    const client = new EchoClient(`localhost:${proxy.port}`, grpc.credentials.createSsl(ca), {
      'grpc.enable_http_proxy': 0,
    });
    try {
      await exerciseAllCallKinds(client);
    } finally {
      client.close();
    }
    const flow = await proxy.waitForRecord((r) => r.event === 'flow' && r.method === 'Bidi');
    assert.equal(flow.state, 'complete');
  });

  test('serves an h2c client too, forwarding it over TLS', async () => {
    const client = new EchoClient(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure(), {
      'grpc.enable_http_proxy': 0,
    });
    try {
      const reply = await callUnary(client, { text: 'h2c in, tls out' });
      assert.equal(reply.value.text, 'h2c in, tls out');
    } finally {
      client.close();
    }
  });
});

describe('forward mode with cleartext upstreams', () => {
  let server: EchoServer;
  let proxy: ProxyProcess;

  before(async () => {
    server = await startEchoServer(null);
    proxy = await startProxy();
  });
  after(async () => {
    await server.close();
    await proxy.stop();
  });

  test('forwards h2c inside a CONNECT tunnel for an insecure grpc-js channel', async () => {
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      await exerciseAllCallKinds(client);
    } finally {
      client.close();
      delete process.env.grpc_proxy;
    }
  });

  test('routes h2c prior knowledge sent straight to the proxy by its :authority', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    session.on('error', () => {});
    try {
      const frame = Buffer.from([0, 0, 0, 0, 2, 0x0a, 0x00]);
      const response = await request(
        session,
        {
          ':method': 'POST',
          ':path': '/grpctap.test.Echo/Unary',
          ':authority': `127.0.0.1:${server.port}`,
          'content-type': 'application/grpc',
          te: 'trailers',
        },
        frame,
      );
      assert.equal(response.headers[':status'], 200);
      assert.equal(response.trailers['grpc-status'], '0');
    } finally {
      session.close();
    }
  });
});

describe('HTTP/2 details through a CONNECT tunnel with TLS', () => {
  let pki: TestPki;
  let upstream: H2Server;
  let proxy: ProxyProcess;
  let proxyCa: string;
  const seenResets: number[] = [];

  before(async () => {
    pki = await createTestPki();
    upstream = await startH2Server((stream, headers) => {
      const path = headers[':path'];
      if (path === '/trailers') {
        stream.respond({ ':status': 200, 'x-order-b': '1', 'x-order-a': '2' }, {
          waitForTrailers: true,
          sendDate: false,
        } as http2.ServerStreamResponseOptions);
        stream.on('trailers', (trailers) => {
          stream.on('wantTrailers', () =>
            stream.sendTrailers({ 'x-request-trailer': String(trailers['x-client-trailer']) }),
          );
        });
        stream.resume();
        stream.on('end', () => stream.end('body'));
      } else if (path === '/early-hints') {
        stream.additionalHeaders({ ':status': 103, link: '</a.css>; rel=preload' });
        stream.respond({ ':status': 200 });
        stream.end('after hints');
      } else if (path === '/hold') {
        stream.respond({ ':status': 200 });
        stream.write('first');
        stream.on('close', () => seenResets.push(stream.rstCode ?? -1));
      } else if (path === '/refuse') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      } else {
        stream.respond({ ':status': 404 });
        stream.end();
      }
    }, pki.localhost);
    proxy = await startProxy({ args: ['--upstream-ca', pki.caPath] });
    proxyCa = await readFile(proxy.caPath, 'utf8');
  });
  after(async () => {
    await upstream.close();
    await proxy.stop();
    await pki.remove();
  });

  test('relays request trailers upstream and response trailers back', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const stream = session.request(
        { ':method': 'POST', ':path': '/trailers' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-client-trailer': 'from-client' }));
      const chunks: Buffer[] = [];
      const result = await new Promise<{
        headers: http2.IncomingHttpHeaders;
        trailers: http2.IncomingHttpHeaders;
      }>((resolve) => {
        let headers: http2.IncomingHttpHeaders = {};
        stream.on('response', (h) => {
          headers = h;
        });
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('trailers', (trailers) => resolve({ headers, trailers }));
        stream.end('request body');
      });
      assert.equal(result.trailers['x-request-trailer'], 'from-client');
      assert.equal(result.headers['x-order-b'], '1');
      assert.equal(result.headers.date, undefined, 'the proxy must not add a date header');
    } finally {
      session.close();
    }
  });

  test('relays a 103 informational response before the final one', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const stream = session.request({ ':path': '/early-hints' });
      const informational = new Promise<http2.IncomingHttpHeaders>((resolve) =>
        stream.once('headers', resolve),
      );
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => stream.on('end', resolve));
      const hints = await informational;
      assert.equal(hints[':status'], 103);
      assert.equal(hints.link, '</a.css>; rel=preload');
      assert.equal(Buffer.concat(chunks).toString(), 'after hints');
    } finally {
      session.close();
    }
  });

  test('passes a client CANCEL upstream as CANCEL', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const stream = session.request({ ':path': '/hold' });
      await new Promise((resolve) => stream.once('data', resolve));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitUntil(() => seenResets.length > 0, 'the upstream to see the reset');
      assert.deepEqual(seenResets, [http2.constants.NGHTTP2_CANCEL]);
    } finally {
      session.close();
    }
  });

  test('passes an upstream REFUSED_STREAM back to the client with the same code', async () => {
    const session = await connectThroughProxy(proxy.port, `localhost:${upstream.port}`, proxyCa);
    try {
      const response = await request(session, { ':path': '/refuse' });
      assert.equal(response.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
    } finally {
      session.close();
    }
  });

  test('works for curl --http2 through --proxy with --cacert', async () => {
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--http2',
      '--proxy',
      proxy.url,
      '--cacert',
      proxy.caPath,
      '--include',
      `https://localhost:${upstream.port}/early-hints`,
    ]);
    assert.match(stdout, /HTTP\/2 103/);
    assert.match(stdout, /HTTP\/2 200/);
    assert.match(stdout, /after hints$/);
  });
});

describe('upstream limits and TLS key logging', () => {
  let pki: TestPki;
  let upstream: H2Server;
  let proxy: ProxyProcess;
  let keylogDir: string;
  const openBySession = new Map<unknown, number>();
  let peak = 0;

  before(async () => {
    pki = await createTestPki();
    keylogDir = await mkdtemp(join(tmpdir(), 'grpctap-keylog-'));
    upstream = await startH2Server((stream) => {
      const session = stream.session;
      const open = (openBySession.get(session) ?? 0) + 1;
      openBySession.set(session, open);
      peak = Math.max(peak, open);
      stream.respond({ ':status': 200 });
      setTimeout(() => {
        openBySession.set(session, (openBySession.get(session) ?? 1) - 1);
        stream.end('slow');
      }, 100);
    }, pki.localhost);
    (upstream.server as http2.Http2SecureServer).updateSettings({ maxConcurrentStreams: 2 });
    proxy = await startProxy({
      args: ['--upstream-ca', pki.caPath],
      env: { SSLKEYLOGFILE: join(keylogDir, 'keys.log') },
    });
  });
  after(async () => {
    await upstream.close();
    await proxy.stop();
    await pki.remove();
    await rm(keylogDir, { recursive: true, force: true });
  });

  test('never exceeds the upstream MAX_CONCURRENT_STREAMS, and serves every request', async () => {
    const session = await connectThroughProxy(
      proxy.port,
      `localhost:${upstream.port}`,
      await readFile(proxy.caPath, 'utf8'),
    );
    try {
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) => request(session, { ':path': `/slow/${i}` })),
      );
      assert.deepEqual(
        responses.map((r) => r.body.toString()),
        Array(6).fill('slow'),
      );
      assert.ok(peak <= 2, `upstream saw ${peak} concurrent streams on one session`);
    } finally {
      session.close();
    }
  });

  test('writes TLS secrets of the client side and the upstream side to SSLKEYLOGFILE', async () => {
    const text = await readFile(join(keylogDir, 'keys.log'), 'utf8');
    const randoms = new Set(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[1]),
    );
    assert.match(text, /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
    assert.ok(randoms.size >= 2, 'secrets of at least two handshakes: client-facing and upstream');
  });
});

describe('HTTP/2 limits from the command line', () => {
  test('advertises --max-streams and --stream-window to clients', async () => {
    const proxy = await startProxy({ args: ['--max-streams', '7', '--stream-window', '256KiB'] });
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    session.on('error', () => {});
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve));
      assert.equal(session.remoteSettings.maxConcurrentStreams, 7);
      assert.equal(session.remoteSettings.initialWindowSize, 256 * 1024);
    } finally {
      session.close();
      await proxy.stop();
    }
  });
});
