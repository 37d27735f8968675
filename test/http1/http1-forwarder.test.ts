import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { createHttp1Forwarder } from '../../src/http1/http1-forwarder.js';
import {
  connectRaw,
  createSelfSignedCertificate,
  listen,
  pairs,
  send,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './forwarder-harness.js';
import { waitUntil } from '../helpers/wait.js';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  rawTrailers: string[];
  body: string;
  socketPort: number;
}

describe('http1 forwarder in reverse mode', () => {
  const seen: Seen[] = [];
  let upstream: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          rawHeaders: req.rawHeaders,
          rawTrailers: req.rawTrailers,
          body,
          socketPort: req.socket.remotePort ?? 0,
        });
        res.sendDate = false;
        if (req.url === '/chunked') {
          res.writeHead(200, ['X-Mode', 'chunked', 'Trailer', 'X-Checksum']);
          res.write('part one, ');
          res.addTrailers([['X-Checksum', 'abc123']]);
          res.end('part two');
          return;
        }
        res.writeHead(201, 'Made', [
          'Z-Last',
          'z',
          'a-first',
          'a',
          'Z-Last',
          'again',
          'Content-Length',
          String(body.length + 4),
        ]);
        res.end(`got:${body}`);
      });
    });
    proxy = await startProxy(upstream.target);
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('forwards a GET and relays status, reason, headers in order, and body', async () => {
    const response = await send({
      port: proxy.port,
      path: '/hello?x=1',
      headers: { 'X-Test': 'yes' },
    });
    assert.equal(response.status, 201);
    assert.deepEqual(pairs(response.rawHeaders), [
      ['Z-Last', 'z'],
      ['a-first', 'a'],
      ['Z-Last', 'again'],
      ['Content-Length', '4'],
      ['Connection', 'close'],
    ]);
    assert.equal(response.body, 'got:');
    const request = seen.at(-1);
    assert.equal(request?.method, 'GET');
    assert.equal(request?.url, '/hello?x=1');
  });

  it('adds no Date header the upstream did not send', async () => {
    const response = await send({ port: proxy.port, path: '/' });
    assert.ok(!response.rawHeaders.some((name) => name.toLowerCase() === 'date'));
  });

  it('forwards a POST with Content-Length as Content-Length', async () => {
    const response = await send(
      { port: proxy.port, path: '/post', method: 'POST', headers: { 'Content-Length': '5' } },
      'hello',
    );
    assert.equal(response.body, 'got:hello');
    const headers = pairs(seen.at(-1)?.rawHeaders ?? []);
    assert.deepEqual(
      headers.find(([name]) => name === 'Content-Length'),
      ['Content-Length', '5'],
    );
    assert.ok(!headers.some(([name]) => name.toLowerCase() === 'transfer-encoding'));
  });

  it('forwards a chunked POST as chunked, with its trailers, and relays response trailers', async () => {
    const request = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      path: '/chunked',
      method: 'POST',
      agent: false,
      headers: { Trailer: 'X-Request-Sum' },
    });
    request.write('abc');
    request.write('def');
    request.addTrailers([['X-Request-Sum', 'r1']]);
    request.end();
    const [response, body] = await new Promise<[http.IncomingMessage, string]>(
      (resolve, reject) => {
        request.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve([res, text]));
        });
        request.on('error', reject);
      },
    );
    assert.equal(body, 'part one, part two');
    assert.equal(response.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(response.rawTrailers, ['X-Checksum', 'abc123']);
    const upstreamSaw = seen.at(-1);
    assert.equal(upstreamSaw?.body, 'abcdef');
    assert.deepEqual(upstreamSaw?.rawTrailers, ['X-Request-Sum', 'r1']);
    assert.ok(
      pairs(upstreamSaw?.rawHeaders ?? []).some(
        ([name, value]) => name === 'Transfer-Encoding' && value === 'chunked',
      ),
    );
  });

  it('forwards a chunked GET body, which Node would not chunk by itself', async () => {
    const client = await connectRaw(proxy.port);
    client.socket.write(
      'GET /get-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    await client.waitFor('got:abc');
    client.socket.destroy();
    assert.equal(seen.at(-1)?.body, 'abc');
  });

  it('serves two requests on one client connection and reuses the upstream connection', async () => {
    const client = await connectRaw(proxy.port);
    client.socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor('got:');
    client.socket.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor('got:', 2);
    client.socket.destroy();
    const [one, two] = seen.slice(-2);
    assert.equal(one?.url, '/one');
    assert.equal(two?.url, '/two');
    assert.equal(one?.socketPort, two?.socketPort);
  });

  it('keeps request header order and case and Host as sent, minus hop-by-hop fields', async () => {
    const client = await connectRaw(proxy.port);
    client.socket.write(
      'GET /order HTTP/1.1\r\n' +
        'X-B: 1\r\nhost: Front.Example\r\nx-a: 2\r\nConnection: keep-alive, X-Secret\r\n' +
        'X-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eDp5\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: trailers, deflate\r\nUpgrade: foo\r\nX-B: 3\r\n\r\n',
    );
    await client.waitFor('got:');
    client.socket.destroy();
    assert.deepEqual(pairs(seen.at(-1)?.rawHeaders ?? []), [
      ['X-B', '1'],
      ['host', 'Front.Example'],
      ['x-a', '2'],
      ['TE', 'trailers'],
      ['X-B', '3'],
      ['Connection', 'keep-alive'],
    ]);
  });

  it('reports a summary per exchange', async () => {
    const before = proxy.summaries.length;
    await send({ port: proxy.port, path: '/summary', method: 'POST' }, 'hey');
    const summaries = await proxy.summariesAfter(before + 1);
    const summary = summaries.find((entry) => entry.path === '/summary');
    assert.ok(summary);
    assert.equal(summary.method, 'POST');
    assert.equal(summary.authority, `127.0.0.1:${proxy.port}`);
    assert.equal(summary.status, 201);
    assert.equal(summary.requestBytes, 3);
    assert.equal(summary.responseBytes, 7);
    assert.equal(summary.error, null);
    assert.ok(summary.durationMs >= 0 && summary.startTime <= Date.now());
  });
});

describe('http1 forwarder response heads', () => {
  it('removes hop-by-hop response fields and adds only its own connection management', async () => {
    const upstream = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\nX-Resp-Secret: 1\r\nConnection: X-Resp-Secret\r\nKeep-Alive: timeout=99\r\n' +
            'Proxy-Authenticate: Basic\r\nX-Keep: yes\r\nContent-Length: 2\r\n\r\nok',
        );
      });
    });
    const port = await listen(upstream);
    const proxy = await startProxy({ host: '127.0.0.1', port, tls: false });
    const client = await connectRaw(proxy.port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await client.waitFor('ok');
    assert.equal(
      text,
      'HTTP/1.1 200 OK\r\nX-Keep: yes\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok',
    );
    client.socket.destroy();
    await proxy.close();
    upstream.close();
  });
});

describe('http1 forwarder close()', () => {
  it('destroys open client connections and then refuses new ones', async () => {
    let arrived = false;
    const upstream = await startUpstream(() => {
      arrived = true;
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET /hangs HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => arrived, 'the request to reach the upstream');
    await proxy.forwarder.close();
    assert.equal(await client.closed(), '');
    const late = await connectRaw(proxy.port);
    assert.equal(await late.closed(), '');
    await proxy.close();
    await upstream.close();
  });
});

describe('http1 forwarder with sockets the listener prepared', () => {
  let upstream: TestUpstream;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      res.sendDate = false;
      res.setHeader('Content-Length', String(`plain ${req.url}`.length));
      res.end(req.method === 'HEAD' ? undefined : `plain ${req.url}`);
    });
  });

  after(async () => {
    await upstream.close();
  });

  it('serves a TLS socket terminated by the listener (the MITM case)', async () => {
    const certificate = createSelfSignedCertificate();
    const forwarder = createHttp1Forwarder({
      upstreamTls: { rejectUnauthorized: true },
      log: () => {},
    });
    const front = net.createServer((socket) => {
      const secure = new tls.TLSSocket(socket, {
        isServer: true,
        key: certificate.key,
        cert: certificate.cert,
      });
      forwarder.attach(secure, upstream.target);
    });
    const port = await listen(front);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          { host: '127.0.0.1', port, path: '/over-tls', ca: certificate.cert, agent: false },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => {
              text += chunk.toString();
            });
            res.on('end', () => resolve(text));
          },
        )
        .on('error', reject);
    });
    assert.equal(body, 'plain /over-tls');
    await forwarder.close();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  });

  it('serves a socket whose first bytes were read for sniffing and unshifted', async () => {
    const forwarder = createHttp1Forwarder({
      upstreamTls: { rejectUnauthorized: true },
      log: () => {},
    });
    let sniffed = false;
    const front = net.createServer((socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        forwarder.attach(socket, upstream.target);
        sniffed = true;
      });
    });
    const port = await listen(front);
    const client = await connectRaw(port);
    client.socket.write('GE');
    await waitUntil(() => sniffed, 'the first bytes to be read and unshifted');
    client.socket.write('T /sniffed HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor('plain /sniffed');
    client.socket.destroy();
    await forwarder.close();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  });

  it('answers pipelined requests in order, and HEAD without a body', async () => {
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(
      'GET /first HTTP/1.1\r\nHost: x\r\n\r\nHEAD /second HTTP/1.1\r\nHost: x\r\n\r\nGET /third HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    const text = await client.waitFor('plain /third');
    assert.equal(
      text,
      'HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nplain /first' +
        'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nplain /third',
    );
    client.socket.destroy();
    await proxy.close();
  });
});

describe('http1 forwarder summaries for the flow store', () => {
  it('carry both header lists as sent, the trailers, and the bodies up to the cap with their true sizes', async () => {
    const upstream = net.createServer((socket) => {
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('0\r\nX-Req-Trailer: t\r\n\r\n')) return;
        socket.write(
          'HTTP/1.1 200 OK\r\nX-Second: 2\r\nX-First: 1\r\nTransfer-Encoding: chunked\r\n' +
            'Trailer: X-Resp-Trailer\r\n\r\n6\r\nabcdef\r\n0\r\nX-Resp-Trailer: r\r\n\r\n',
        );
      });
    });
    const port = await listen(upstream);
    const proxy = await startProxy({ host: '127.0.0.1', port, tls: false }, { maxBodyBytes: 4 });
    try {
      const client = await connectRaw(proxy.port);
      client.socket.write(
        'POST /store HTTP/1.1\r\nHost: up\r\nX-Case: Kept\r\nTransfer-Encoding: chunked\r\n' +
          'Trailer: X-Req-Trailer\r\n\r\n5\r\nhello\r\n0\r\nX-Req-Trailer: t\r\n\r\n',
      );
      await client.waitFor('X-Resp-Trailer: r');
      client.socket.end();
      const [summary] = await proxy.summariesAfter(1);
      assert.ok(summary);
      assert.deepEqual(summary.requestHeaders, [
        ['Host', 'up'],
        ['X-Case', 'Kept'],
        ['Transfer-Encoding', 'chunked'],
        ['Trailer', 'X-Req-Trailer'],
      ]);
      assert.deepEqual(summary.responseHeaders, [
        ['X-Second', '2'],
        ['X-First', '1'],
        ['Transfer-Encoding', 'chunked'],
        ['Trailer', 'X-Resp-Trailer'],
      ]);
      assert.deepEqual(summary.requestTrailers, [['X-Req-Trailer', 't']]);
      assert.deepEqual(summary.responseTrailers, [['X-Resp-Trailer', 'r']]);
      assert.equal(Buffer.from(summary.requestBody?.bytes ?? []).toString(), 'hell');
      assert.deepEqual([summary.requestBody?.size, summary.requestBody?.truncated], [5, true]);
      assert.equal(Buffer.from(summary.responseBody?.bytes ?? []).toString(), 'abcd');
      assert.deepEqual([summary.responseBody?.size, summary.responseBody?.truncated], [6, true]);
      assert.equal(summary.connection.clientPort, client.socket.localPort);
      assert.equal(summary.upstream?.addressPort, port);
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });

  it('capture no bodies by default', async () => {
    const upstream = await startUpstream((_req, res) => res.end('body'));
    const proxy = await startProxy(upstream.target);
    try {
      await send({ port: proxy.port, path: '/', method: 'GET' });
      const [summary] = await proxy.summariesAfter(1);
      assert.deepEqual([summary?.requestBody, summary?.responseBody], [null, null]);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});
