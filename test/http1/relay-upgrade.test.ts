import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { describe, it } from 'node:test';
import { connectRaw, findClosedPort, startProxy, startUpstream } from './forwarder-harness.js';

const UPGRADE_REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\nHost: up.example\r\nX-Order: 1\r\nConnection: Upgrade\r\n' +
  'Upgrade: echo\r\nSec-WebSocket-Key: abc\r\nProxy-Authorization: Basic eDp5\r\n\r\n';

describe('upgrade relay', () => {
  it('relays the upgrade request, the 101 and then raw bytes both ways, byte for byte', async () => {
    const server = http.createServer();
    let upstreamSaw: { url: string; rawHeaders: string[] } | undefined;
    let upstreamSocketClosed!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => {
      upstreamSocketClosed = resolve;
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      upstreamSaw = { url: req.url ?? '', rawHeaders: req.rawHeaders };
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n',
      );
      if (head.length > 0) socket.write(Buffer.concat([Buffer.from('echo:'), head]));
      socket.on('data', (chunk: Buffer) =>
        socket.write(Buffer.concat([Buffer.from('echo:'), chunk])),
      );
      socket.on('end', () => socket.end());
      socket.once('close', () => upstreamSocketClosed());
    });
    const upstream = await startUpstream(() => {}, server);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(`${UPGRADE_REQUEST}early`);
    await client.waitFor('\r\n\r\n');
    const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
    client.socket.write(binary);
    await client.waitFor(`echo:${binary.toString('latin1')}`);
    assert.equal(
      client.received(),
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n' +
        'echo:early' +
        `echo:${binary.toString('latin1')}`,
    );
    assert.equal(upstreamSaw?.url, '/chat?room=1');
    assert.deepEqual(upstreamSaw?.rawHeaders, [
      'Host',
      'up.example',
      'X-Order',
      '1',
      'Connection',
      'Upgrade',
      'Upgrade',
      'echo',
      'Sec-WebSocket-Key',
      'abc',
    ]);
    client.socket.end();
    await client.closed();
    await upstreamClosed;
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.status, 101);
    assert.equal(summary?.error, null);
    assert.equal(summary?.requestBytes, 'early'.length + binary.length);
    assert.equal(summary?.path, '/chat?room=1');
    await proxy.close();
    await upstream.close();
  });

  it('passes a refusal (non-101) through raw', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      socket.end('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n');
    });
    const upstream = await startUpstream(() => {}, server);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(UPGRADE_REQUEST);
    assert.equal(
      await client.closed(),
      'HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n',
    );
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.status, 426);
    await proxy.close();
    await upstream.close();
  });

  it('answers 502 when the upstream of an upgrade cannot be reached', async () => {
    const port = await findClosedPort();
    const proxy = await startProxy({ host: '127.0.0.1', port, tls: false });
    const client = await connectRaw(proxy.port);
    client.socket.write(UPGRADE_REQUEST);
    const text = await client.closed();
    assert.match(text, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(text, /refused the connection\n$/);
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.error?.code, 'UPSTREAM_REFUSED');
    assert.equal(summary?.status, 502);
    await proxy.close();
  });

  it('closes the client side when the upstream closes the tunnel', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
      );
      socket.end('goodbye');
    });
    const upstream = await startUpstream(() => {}, server);
    const proxy = await startProxy(upstream.target);
    const client = await connectRaw(proxy.port);
    client.socket.write(UPGRADE_REQUEST);
    assert.match(await client.closed(), /\r\n\r\ngoodbye$/);
    await proxy.close();
    await upstream.close();
  });

  it('forwards an absolute-form upgrade in forward-proxy mode with origin-form and a new Host', async () => {
    const server = http.createServer();
    let upstreamSaw: { url: string | undefined; host: string | undefined } | undefined;
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      upstreamSaw = { url: req.url, host: req.headers.host };
      socket.end(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
      );
    });
    const upstream = await startUpstream(() => {}, server);
    const proxy = await startProxy(null);
    const client = await connectRaw(proxy.port);
    client.socket.write(
      `GET http://127.0.0.1:${upstream.port}/ws HTTP/1.1\r\nHost: stale\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`,
    );
    assert.match(await client.closed(), /^HTTP\/1\.1 101 /);
    assert.deepEqual(upstreamSaw, { url: '/ws', host: `127.0.0.1:${upstream.port}` });
    await proxy.close();
    await upstream.close();
  });

  it('answers an origin-form upgrade in forward-proxy mode with 400', async () => {
    const proxy = await startProxy(null);
    const client = await connectRaw(proxy.port);
    client.socket.write(UPGRADE_REQUEST);
    assert.match(await client.closed(), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*grpctap is a proxy/);
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.error?.code, 'NOT_A_PROXY_REQUEST');
    assert.equal(summary?.status, 400);
    await proxy.close();
  });
});
