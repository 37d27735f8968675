import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  connectRaw,
  send,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './forwarder-harness.js';

describe('http1 forwarder in forward-proxy mode', () => {
  const seen: { url: string; host: string | undefined }[] = [];
  let upstream: TestUpstream;
  let proxy: TestProxy;
  let connectProxy: TestProxy;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      seen.push({ url: req.url ?? '', host: req.headers.host });
      res.end(`plain ${req.url}`);
    });
    proxy = await startProxy(null);
    connectProxy = await startProxy(null, {
      onConnect: (req, socket) => {
        const [host = '', port = '0'] = (req.url ?? '').split(':');
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        connectProxy.forwarder.attach(socket, { host, port: Number(port), tls: false });
      },
    });
  });

  after(async () => {
    await proxy.close();
    await connectProxy.close();
    await upstream.close();
  });

  it('forwards an absolute-form request in origin-form with Host from the URL', async () => {
    const response = await send({
      port: proxy.port,
      path: `http://127.0.0.1:${upstream.port}/abs?q=1`,
      headers: { Host: 'stale.example' },
    });
    assert.equal(response.body, 'plain /abs?q=1');
    assert.deepEqual(seen.at(-1), { url: '/abs?q=1', host: `127.0.0.1:${upstream.port}` });
    const summaries = await proxy.summariesAfter(1);
    assert.equal(summaries.at(-1)?.authority, `127.0.0.1:${upstream.port}`);
    assert.equal(summaries.at(-1)?.path, '/abs?q=1');
  });

  it('works for curl configured with --proxy', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'curl',
        [
          '-sS',
          '--proxy',
          `http://127.0.0.1:${proxy.port}`,
          `http://127.0.0.1:${upstream.port}/curl?x=1`,
        ],
        { env: { PATH: process.env.PATH ?? '/usr/bin' }, timeout: 10_000 },
        (error, stdout) => (error ? reject(new Error(error.message)) : resolve(stdout)),
      );
    });
    assert.equal(output, 'plain /curl?x=1');
    assert.deepEqual(seen.at(-1), { url: '/curl?x=1', host: `127.0.0.1:${upstream.port}` });
  });

  it('answers an origin-form request with 400 explaining that this is a proxy', async () => {
    const response = await send({ port: proxy.port, path: '/not-absolute' });
    assert.equal(response.status, 400);
    assert.match(response.body, /^grpctap is a proxy: send absolute-form requests/);
  });

  it('answers an absolute https URL with 400: it needs CONNECT', async () => {
    const response = await send({ port: proxy.port, path: 'https://127.0.0.1/x' });
    assert.equal(response.status, 400);
    assert.match(response.body, /CONNECT tunnel/);
  });

  it('hands CONNECT to onConnect, and serves HTTP inside the tunnel once re-attached', async () => {
    const client = await connectRaw(connectProxy.port);
    client.socket.write(
      `CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`,
    );
    await client.waitFor('HTTP/1.1 200 Connection Established\r\n\r\n');
    client.socket.write('GET /inside HTTP/1.1\r\nHost: tunnel.example\r\n\r\n');
    await client.waitFor('plain /inside');
    client.socket.write('GET /inside-again HTTP/1.1\r\nHost: tunnel.example\r\n\r\n');
    await client.waitFor('plain /inside-again');
    client.socket.destroy();
    assert.deepEqual(seen.at(-1), { url: '/inside-again', host: 'tunnel.example' });
  });

  it('refuses CONNECT with 405 when no handler takes it', async () => {
    const client = await connectRaw(proxy.port);
    client.socket.write('CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n');
    const text = await client.closed();
    assert.match(text, /^HTTP\/1\.1 405 Method Not Allowed\r\nAllow: /);
  });

  it('refuses CONNECT with 405 inside a tunnel', async () => {
    const client = await connectRaw(connectProxy.port);
    client.socket.write(`CONNECT 127.0.0.1:${upstream.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await client.waitFor('HTTP/1.1 200 Connection Established\r\n\r\n');
    client.socket.write('CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n');
    const text = await client.closed();
    assert.match(text, /HTTP\/1\.1 405 Method Not Allowed\r\n[\s\S]*already inside a tunnel\n$/);
  });

  it('answers a malformed request with 400, closes it, and keeps serving others', async () => {
    const bad = await connectRaw(proxy.port);
    const good = await connectRaw(proxy.port);
    bad.socket.write('NOT HTTP AT ALL\r\n\r\n');
    const text = await bad.closed();
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Connection: close\r\n/);
    assert.ok(proxy.logs.some((line) => line.startsWith('http1: malformed request from client')));
    good.socket.write(
      `GET http://127.0.0.1:${upstream.port}/still-here HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    await good.waitFor('plain /still-here');
    good.socket.destroy();
  });
});
