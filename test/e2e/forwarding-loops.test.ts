import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type H2Server, request, startH2Server } from '../helpers/h2-peers.js';
import { runCli } from '../helpers/run-cli.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { waitForValue } from '../helpers/wait.js';

const run = promisify(execFile);

/** `curl` answering only its status code; never follows anything, bounded in time. */
async function curlStatus(args: readonly string[]): Promise<number> {
  const { stdout } = await run('curl', [
    '--silent',
    '--max-time',
    '30',
    '--output',
    '/dev/null',
    '--write-out',
    '%{http_code}',
    ...args,
  ]);
  return Number(stdout);
}

type Json = Record<string, unknown>;

/**
 * Waits for the record of `event` for `path`, from the proxy's JSON stdout: an exchange's `path`
 * (which ends with it, for an absolute-form target) or a gRPC flow's `/service/method`.
 */
function recordFor(proxy: ProxyProcess, event: string, path: string): Promise<Json> {
  const pathOf = (record: Json): string =>
    typeof record.path === 'string'
      ? record.path
      : `/${String(record.service)}/${String(record.method)}`;
  return waitForValue(
    () =>
      proxy.lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Json)
        .find((record) => record.event === event && pathOf(record).endsWith(path)),
    `a ${event} record for ${path}`,
    30_000,
  );
}

const errorCode = (record: Json): unknown => (record.error as Json | null)?.code;

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('requests that would loop back into the proxy', () => {
  let proxy: ProxyProcess;
  let upstream: H2Server;

  before(async () => {
    proxy = await startProxy();
    upstream = await startH2Server((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('upstream');
    });
  });
  after(async () => {
    await proxy.stop();
    await upstream.close();
  });

  test('h2c prior knowledge sent to the proxy itself gets 508, is recorded, and nothing is forwarded', async () => {
    const status = await curlStatus(['--http2-prior-knowledge', `${proxy.url}/h2c-self`]);
    assert.equal(status, 508);
    const record = await recordFor(proxy, 'exchange', '/h2c-self');
    assert.equal(errorCode(record), 'FORWARDING_LOOP');
    assert.match(proxy.stderr(), /would loop back into grpctap/);
  });

  test('an h2c gRPC call to the proxy itself ends UNAVAILABLE with a message', async () => {
    const session = http2.connect(proxy.url);
    try {
      const response = await request(session, {
        ':method': 'POST',
        ':path': '/loop.Svc/Call',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const status = response.trailers['grpc-status'] ?? response.headers['grpc-status'];
      const message = response.trailers['grpc-message'] ?? response.headers['grpc-message'];
      assert.equal(String(status), '14');
      assert.match(decodeURIComponent(String(message)), /loop back into grpctap/);
    } finally {
      session.close();
    }
    const flow = await recordFor(proxy, 'flow', '/loop.Svc/Call');
    assert.equal(flow.state, 'error');
    const end = proxy.lines
      .map((line) => JSON.parse(line) as Json)
      .find((record) => record.event === 'end' && record.flowId === flow.flowId);
    assert.ok(end, 'the end record precedes the flow record');
    assert.equal(errorCode(end), 'FORWARDING_LOOP');
  });

  test('HTTP/1.1 absolute-form to the proxy, by address and as localhost, gets 508', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const path = `/http1-self-${host}`;
      const status = await curlStatus([
        '--proxy',
        proxy.url,
        `http://${host}:${proxy.port}${path}`,
      ]);
      assert.equal(status, 508, host);
      const record = await recordFor(proxy, 'exchange', path);
      assert.equal(errorCode(record), 'FORWARDING_LOOP', host);
    }
  });

  test('CONNECT to the proxy own port: the request inside the tunnel gets 508', async () => {
    const status = await curlStatus([
      '--proxy',
      proxy.url,
      '--cacert',
      proxy.caPath,
      `https://127.0.0.1:${proxy.port}/connect-self`,
    ]);
    assert.equal(status, 508);
    const record = await recordFor(proxy, 'exchange', '/connect-self');
    assert.equal(errorCode(record), 'FORWARDING_LOOP');
  });

  test('the proxy survives every loop and keeps forwarding other requests', async () => {
    const session = http2.connect(proxy.url);
    try {
      const response = await request(session, {
        ':method': 'GET',
        ':path': '/after-loops',
        ':authority': `127.0.0.1:${upstream.port}`,
      });
      assert.equal(response.headers[':status'], 200);
      assert.equal(response.body.toString(), 'upstream');
    } finally {
      session.close();
    }
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running');
  });
});

describe('a proxy listening on the any-address', () => {
  let proxy: ProxyProcess;
  before(async () => {
    proxy = await startProxy({ args: ['--listen', '0.0.0.0:0'] });
  });
  after(() => proxy.stop());

  test('a loopback alias of the any-address bind is the proxy too', async () => {
    const status = await curlStatus([
      '--http2-prior-knowledge',
      `http://127.0.0.2:${proxy.port}/alias-self`,
    ]);
    assert.equal(status, 508);
    const record = await recordFor(proxy, 'exchange', '/alias-self');
    assert.equal(errorCode(record), 'FORWARDING_LOOP');
  });
});

describe('--reverse to the proxy own address', () => {
  test('is refused at start-up with one line, exit 1', async () => {
    const port = await freePort();
    for (const target of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const result = await runCli(['--listen', `127.0.0.1:${port}`, '--reverse', target]);
      assert.equal(result.code, 1, target);
      assert.match(result.stderr, /own --listen address: every request would loop back/);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});
