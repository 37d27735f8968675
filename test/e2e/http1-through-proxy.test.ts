import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';

/** Sends raw bytes, collects everything until the peer closes or `until` matches. */
function exchange(port: number, bytes: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (until.test(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('HTTP/1.1 through the proxy', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: ProxyProcess;
  let guarded: ProxyProcess;
  /** How many 100 Continue the upstream has sent. */
  let upstreamContinued = 0;

  before(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/echo-chunks') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        req.on('data', (chunk: Buffer) => res.write(`got:${chunk.toString()};`));
        req.on('end', () => res.end('done'));
        return;
      }
      res.end(`hello ${req.url}`);
    });
    upstream.on('checkContinue', (req, res) => {
      // The upstream takes its time: a proxy answering 100 itself would be seen before this.
      setTimeout(() => {
        if (req.headers['x-allow'] === 'yes') {
          upstreamContinued += 1;
          res.writeContinue();
          req.resume();
          req.on('end', () => res.end('accepted'));
        } else {
          res.writeHead(417, { 'content-length': '0', connection: 'close' });
          res.end();
        }
      }, 200);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    proxy = await startProxy();
    guarded = await startProxy({ args: ['--proxy-auth', 'alice:s3cret'] });
  });
  after(async () => {
    upstream.close();
    await proxy.stop();
    await guarded.stop();
  });

  test('relays Expect: 100-continue only when the upstream sends 100', async () => {
    const head = `POST http://127.0.0.1:${upstreamPort}/up HTTP/1.1\r\nhost: 127.0.0.1:${upstreamPort}\r\nexpect: 100-continue\r\nx-allow: yes\r\ncontent-length: 4\r\n\r\n`;
    const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write(head));
    let text = '';
    const continuedBefore = upstreamContinued;
    let upstreamHadContinued: boolean | null = null;
    const done = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (upstreamHadContinued === null && text.startsWith('HTTP/1.1 100')) {
          upstreamHadContinued = upstreamContinued > continuedBefore;
          socket.write('body');
        }
        if (text.includes('accepted')) resolve();
      });
    });
    await done;
    socket.destroy();
    assert.equal(
      upstreamHadContinued,
      true,
      'the 100 came before the upstream sent one: the proxy answered it itself',
    );
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
  });

  test('relays the upstream refusing an expectation (417) without any 100', async () => {
    const text = await exchange(
      proxy.port,
      `POST http://127.0.0.1:${upstreamPort}/no HTTP/1.1\r\nhost: 127.0.0.1:${upstreamPort}\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n`,
      /\r\n\r\n/,
    );
    assert.match(text, /^HTTP\/1\.1 417/);
  });

  test('streams a chunked POST both ways, chunk by chunk', async () => {
    const request = http.request({
      host: '127.0.0.1',
      port: proxy.port,
      method: 'POST',
      path: `http://127.0.0.1:${upstreamPort}/echo-chunks`,
      headers: { host: `127.0.0.1:${upstreamPort}` },
    });
    const response = await new Promise<http.IncomingMessage>((resolve) => {
      request.on('response', resolve);
      request.flushHeaders();
      request.write('one');
    });
    response.setEncoding('utf8');
    const seen: string[] = [];
    const next = (): Promise<string> => new Promise((resolve) => response.once('data', resolve));
    seen.push(await next());
    for (const word of ['two', 'three']) {
      request.write(word);
      seen.push(await next());
    }
    request.end();
    assert.deepEqual(seen, ['got:one;', 'got:two;', 'got:three;']);
  });

  test('asks for proxy credentials with --proxy-auth, for CONNECT and plain requests', async () => {
    const connect = await exchange(
      guarded.port,
      `CONNECT 127.0.0.1:${upstreamPort} HTTP/1.1\r\nhost: x\r\n\r\n`,
      /\r\n\r\n/,
    );
    assert.match(connect, /^HTTP\/1\.1 407/);
    assert.match(connect, /proxy-authenticate: Basic/i);
    const plain = await exchange(
      guarded.port,
      `GET http://127.0.0.1:${upstreamPort}/p HTTP/1.1\r\nhost: x\r\n\r\n`,
      /\r\n\r\n/,
    );
    assert.match(plain, /^HTTP\/1\.1 407/);
    const credentials = Buffer.from('alice:s3cret').toString('base64');
    const allowed = await exchange(
      guarded.port,
      `GET http://127.0.0.1:${upstreamPort}/p HTTP/1.1\r\nhost: 127.0.0.1:${upstreamPort}\r\nproxy-authorization: Basic ${credentials}\r\n\r\n`,
      /hello \/p/,
    );
    assert.match(allowed, /^HTTP\/1\.1 200/);
    const tunnel = await exchange(
      guarded.port,
      `CONNECT 127.0.0.1:${upstreamPort} HTTP/1.1\r\nhost: x\r\nproxy-authorization: Basic ${credentials}\r\n\r\n`,
      /\r\n\r\n/,
    );
    assert.match(tunnel, /^HTTP\/1\.1 200/);
  });
});
