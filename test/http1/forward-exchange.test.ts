import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import {
  connectRaw,
  findClosedPort,
  send,
  startProxy,
  startUpstream,
} from './forwarder-harness.js';
import { settleWithin, waitUntil } from '../helpers/wait.js';

const EXPECT_REQUEST =
  'POST /upload HTTP/1.1\r\nHost: up\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n';

describe('Expect: 100-continue relayed end to end', () => {
  it('sends 100 only after the upstream does, then the final response', async () => {
    const upstreamServer = http.createServer();
    let upstreamContinued = false;
    upstreamServer.on('checkContinue', (req, res) => {
      // The upstream takes its time: a proxy answering 100 itself would be seen before this.
      setTimeout(() => {
        upstreamContinued = true;
        res.writeContinue();
        let body = '';
        req.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        req.on('end', () => {
          res.sendDate = false;
          res.writeHead(200, ['Content-Length', String(4 + body.length), 'X-Up', '1']);
          res.end(`got:${body}`);
        });
      }, 200);
    });
    const upstream = await startUpstream(() => {}, upstreamServer);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(EXPECT_REQUEST);
    await client.waitFor('HTTP/1.1 100 Continue\r\n\r\n');
    assert.ok(upstreamContinued, 'nothing before the upstream decides');
    assert.equal(client.received(), 'HTTP/1.1 100 Continue\r\n\r\n');
    client.socket.write('hello');
    const text = await client.waitFor('got:hello');
    assert.equal(
      text,
      'HTTP/1.1 100 Continue\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 9\r\nX-Up: 1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n' +
        'got:hello',
    );
    client.socket.destroy();
    await proxy.close();
    await upstream.close();
  });

  it("relays the upstream's 100 Continue with its own header fields", async () => {
    const upstreamServer = http.createServer();
    upstreamServer.on('checkContinue', (req, res) => {
      // Node's writeContinue takes no fields: the upstream writes its 100 head itself.
      req.socket.write('HTTP/1.1 100 Continue\r\nX-Continue-From: upstream\r\n\r\n');
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        res.sendDate = false;
        res.writeHead(200, ['Content-Length', String(4 + body.length)]);
        res.end(`got:${body}`);
      });
    });
    const upstream = await startUpstream(() => {}, upstreamServer);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(EXPECT_REQUEST);
    const head = 'HTTP/1.1 100 Continue\r\nX-Continue-From: upstream\r\n\r\n';
    await client.waitFor(head);
    client.socket.write('hello');
    const text = await client.waitFor('got:hello');
    assert.ok(text.startsWith(`${head}HTTP/1.1 200 OK\r\n`), JSON.stringify(text));
    const [summary] = await proxy.summariesAfter(1);
    assert.deepEqual(summary?.informational, [
      { status: 100, headers: [['X-Continue-From', 'upstream']] },
    ]);
    client.socket.destroy();
    await proxy.close();
    await upstream.close();
  });

  it('relays a refusal (417) without any 100 and closes the client connection', async () => {
    let bodyBytes = 0;
    const upstreamServer = http.createServer();
    upstreamServer.on('checkContinue', (req, res) => {
      req.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      setTimeout(() => {
        res.sendDate = false;
        res.writeHead(417, ['Content-Length', '0']);
        res.end();
      }, 200);
    });
    const upstream = await startUpstream(() => {}, upstreamServer);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(EXPECT_REQUEST);
    const text = await client.closed();
    assert.equal(
      text,
      'HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.status, 417);
    assert.equal(summary?.error, null);
    assert.equal(bodyBytes, 0);
    await proxy.close();
    await upstream.close();
  });

  it('relays other expectations to the upstream instead of answering 417 itself', async () => {
    const upstreamServer = http.createServer();
    let expectation = '';
    upstreamServer.on('checkExpectation', (req, res) => {
      expectation = req.headers.expect ?? '';
      res.writeHead(204);
      res.end();
    });
    const upstream = await startUpstream(() => {}, upstreamServer);
    const proxy = await startProxy(upstream.target);
    const response = await send({ port: proxy.port, path: '/', headers: { Expect: 'x-custom' } });
    assert.equal(response.status, 204);
    assert.equal(expectation, 'x-custom');
    await proxy.close();
    await upstream.close();
  });
});

describe('other 1xx responses', () => {
  it('relays 102 and 103 with their fields, before the final response', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.sendDate = false;
      res.writeProcessing();
      res.writeEarlyHints({ link: ['</style.css>; rel=preload', '</app.js>; rel=preload'] }, () => {
        res.writeHead(200, ['Content-Length', '2']);
        res.end('ok');
      });
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET / HTTP/1.1\r\nHost: up\r\n\r\n');
    const text = await client.waitFor('ok');
    assert.equal(
      text,
      'HTTP/1.1 102 Processing\r\n\r\n' +
        'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload, </app.js>; rel=preload\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok',
    );
    client.socket.destroy();
    await proxy.close();
    await upstream.close();
  });

  it('sends no 1xx to an HTTP/1.0 client', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeProcessing();
      res.end('ok');
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET / HTTP/1.0\r\nHost: up\r\n\r\n');
    const text = await client.closed();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(!text.includes('102'));
    await proxy.close();
    await upstream.close();
  });
});

describe('streaming bodies', () => {
  it('streams a long-lived chunked POST both ways, one echo per chunk', async () => {
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.flushHeaders();
      req.on('data', (chunk: Buffer) => res.write(`echo:${chunk.toString()};`));
      req.on('end', () => res.end('bye'));
    });
    const proxy = await startProxy(upstream.target);
    const request = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'POST',
      path: '/bidi',
      agent: false,
    });
    request.flushHeaders();
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      request.once('response', resolve),
    );
    let received = '';
    response.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    for (let round = 0; round < 5; round++) {
      request.write(`ping-${round}`);
      await waitUntil(() => received.includes(`echo:ping-${round};`), `the echo of ping-${round}`);
      assert.ok(!received.includes('bye'), 'the response is still open');
    }
    const ended = new Promise<void>((resolve) => response.once('end', resolve));
    request.end();
    await ended;
    assert.equal(received, 'echo:ping-0;echo:ping-1;echo:ping-2;echo:ping-3;echo:ping-4;bye');
    await proxy.close();
    await upstream.close();
  });

  it('breaks the client response when the upstream dies mid-body (content-length)', async () => {
    const upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('only ten b', () => req.socket.destroy());
    });
    const proxy = await startProxy(upstream.target);
    const failure = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: proxy.port, path: '/', agent: false }, (res) => {
        res.on('data', () => {});
        res.on('error', (error) => resolve(`error ${error.message}`));
        res.on('end', () => resolve('end'));
      });
    });
    assert.match(failure, /^error/);
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.error?.code, 'UPSTREAM_CONNECTION_RESET');
    assert.equal(summary?.error?.side, 'upstream');
    assert.equal(summary?.responseBytes, 10);
    await proxy.close();
    await upstream.close();
  });

  it('breaks the client response when the upstream dies mid-body (chunked)', async () => {
    const upstream = await startUpstream((req, res) => {
      res.write('first chunk', () => req.socket.destroy());
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET / HTTP/1.1\r\nHost: up\r\n\r\n');
    const text = await client.closed();
    assert.match(text, /first chunk\r\n$/);
    assert.ok(!text.endsWith('0\r\n\r\n'), 'no terminating chunk');
    await proxy.close();
    await upstream.close();
  });

  it('aborts the upstream request when the client disappears mid-upload', async () => {
    let gotFirstChunk!: () => void;
    const firstChunk = new Promise<void>((resolve) => {
      gotFirstChunk = resolve;
    });
    let upstreamSawAbort!: (complete: boolean) => void;
    const aborted = new Promise<boolean>((resolve) => {
      upstreamSawAbort = resolve;
    });
    const upstream = await startUpstream((req) => {
      req.once('data', () => gotFirstChunk());
      req.on('error', () => {});
      req.once('close', () => upstreamSawAbort(req.complete));
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(
      'POST /up HTTP/1.1\r\nHost: up\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
    );
    await firstChunk;
    client.socket.destroy();
    assert.equal(await aborted, false);
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.error?.code, 'CLIENT_ABORTED');
    assert.equal(summary?.error?.side, 'client');
    assert.equal(summary?.status, null);
    await proxy.close();
    await upstream.close();
  });

  it('aborts the upstream request when the client disappears while waiting for the response', async () => {
    let upstreamSawClose!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamSawClose = resolve;
    });
    let arrived = false;
    const upstream = await startUpstream((_req, res) => {
      arrived = true;
      res.once('close', () => upstreamSawClose());
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET /slow HTTP/1.1\r\nHost: up\r\n\r\n');
    await waitUntil(() => arrived, 'the request to reach the upstream');
    client.socket.destroy();
    await closed;
    await proxy.close();
    await upstream.close();
  });
});

describe('back-pressure', () => {
  const CHUNK = Buffer.alloc(64 * 1024, 0x61);
  /** Far more than every socket buffer on the path holds; reaching it means nothing pushed back. */
  const LIMIT = 256 * 1024 * 1024;

  /**
   * No 'drain' for this long counts as stalled. Nothing positive says that a peer stopped reading,
   * so this is a window; a longer one only makes the check stricter (a proxy that buffers, however
   * slowly on a loaded machine, keeps draining and runs into LIMIT).
   */
  const STALL_MS = 1000;

  /** Writes until `write` returns false and no 'drain' comes for STALL_MS; returns bytes written. */
  async function writeUntilStalled(stream: {
    write(chunk: Buffer): boolean;
    once(event: 'drain', listener: () => void): unknown;
  }): Promise<number> {
    let written = 0;
    while (written < LIMIT) {
      written += CHUNK.length;
      if (stream.write(CHUNK)) continue;
      const drained = await settleWithin(
        new Promise<boolean>((resolve) => stream.once('drain', () => resolve(true))),
        STALL_MS,
        false,
      );
      if (!drained) return written;
    }
    return written;
  }

  it('stops reading the upstream response while the client is not reading', async () => {
    let stalled!: (written: number) => void;
    const result = new Promise<number>((resolve) => {
      stalled = resolve;
    });
    const upstream = await startUpstream((_req, res) => {
      res.on('error', () => {});
      void writeUntilStalled(res).then(stalled);
    });
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write('GET /big HTTP/1.1\r\nHost: up\r\n\r\n');
    client.socket.pause();
    const written = await result;
    assert.ok(
      written < LIMIT / 8,
      `upstream wrote ${written} bytes to a client that reads nothing`,
    );
    client.socket.destroy();
    await proxy.close();
    await upstream.close();
  });

  it('stops reading the client body while the upstream is not reading', async () => {
    const upstream = await startUpstream((req) => req.pause());
    const proxy = await startProxy(upstream.target);
    const request = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'POST',
      agent: false,
    });
    request.on('error', () => {});
    const written = await writeUntilStalled(request);
    assert.ok(
      written < LIMIT / 8,
      `client wrote ${written} bytes to an upstream that reads nothing`,
    );
    request.destroy();
    await proxy.close();
    await upstream.close();
  });
});

describe('upstream failures', () => {
  it('answers 502 naming the cause when the upstream refuses, and keeps serving', async () => {
    const port = await findClosedPort();
    const proxy = await startProxy({ host: '127.0.0.1', port, tls: false });
    const response = await send({ port: proxy.port, path: '/x' });
    assert.equal(response.status, 502);
    assert.match(response.body, /^grpctap: 127\.0\.0\.1:\d+ refused the connection\n$/);
    const again = await send({ port: proxy.port, path: '/y' });
    assert.equal(again.status, 502);
    const summaries = await proxy.summariesAfter(2);
    assert.deepEqual(summaries[0]?.error, {
      code: 'UPSTREAM_REFUSED',
      side: 'upstream',
      reason: `127.0.0.1:${port} refused the connection`,
    });
    assert.equal(summaries[0]?.status, 502);
    assert.equal(proxy.logs.length, 2);
    // One line per request, naming the upstream once.
    assert.match(proxy.logs[0] ?? '', /^http1: GET \/x: 127\.0\.0\.1:\d+ refused the connection$/);
    await proxy.close();
  });

  it('answers 502 when the upstream closes without responding', async () => {
    const upstream = await startUpstream((req) => req.socket.destroy());
    const proxy = await startProxy(upstream.target);
    const response = await send({ port: proxy.port, path: '/' });
    assert.equal(response.status, 502);
    assert.match(response.body, /closed the connection/);
    await proxy.close();
    await upstream.close();
  });
});
