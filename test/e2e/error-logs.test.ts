import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { EchoClient } from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';

const run = promisify(execFile);

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The proxy's stderr lines that match `pattern`. */
const linesMatching = (proxy: ProxyProcess, pattern: RegExp): string[] =>
  proxy
    .stderr()
    .split('\n')
    .filter((line) => pattern.test(line));

describe('log lines name the right client and say things once', () => {
  let proxy: ProxyProcess;
  before(async () => {
    proxy = await startProxy();
  });
  after(() => proxy.stop());

  test('bytes no one understands inside a CONNECT tunnel are logged with the real client address', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const clientPort = socket.localPort;
    socket.write('CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(Buffer.alloc(64, 0x07));
    const pattern = /tunnel to example\.test:443 from [^\n]*closing/;
    await proxy.waitForStderr(pattern, 30_000);
    const [line = ''] = linesMatching(proxy, pattern);
    assert.doesNotMatch(line, /\?:\?/);
    assert.match(line, new RegExp(`from 127\\.0\\.0\\.1:${clientPort}\\b`));
    socket.destroy();
  });

  test('a refused upstream is logged once per call, naming the upstream once', async () => {
    const port = await closedPort();
    // Through the proxy as h2c prior knowledge: the channel's target is the proxy itself, the
    // :authority the closed port.
    const proxied = new EchoClient(
      proxy.url.replace('http://', ''),
      grpc.credentials.createInsecure(),
      {
        'grpc.default_authority': `127.0.0.1:${port}`,
      },
    );
    await assert.rejects(callUnary(proxied, { text: 'x' }), { code: grpc.status.UNAVAILABLE });
    proxied.close();
    await proxy.waitForStderr(new RegExp(`127\\.0\\.0\\.1:${port} refused the connection`), 30_000);
    const lines = linesMatching(proxy, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.equal((lines[0]?.match(new RegExp(`127\\.0\\.0\\.1:${port}`, 'g')) ?? []).length, 1);
  });

  test('a client that does not trust the CA gets one line saying how to trust it', async () => {
    await assert.rejects(
      run('curl', [
        '--silent',
        '--max-time',
        '30',
        '--proxy',
        proxy.url,
        'https://untrusted.test/',
      ]),
    );
    const pattern = /untrusted\.test[^\n]*grpctap ca/;
    await proxy.waitForStderr(pattern, 30_000);
    const [line = ''] = linesMatching(proxy, pattern);
    assert.match(
      line,
      /client 127\.0\.0\.1:\d+ \(SNI untrusted\.test\) rejected grpctap's certificate \(unknown_ca\)/,
    );
    assert.doesNotMatch(proxy.stderr(), /SSL routines|ssl3_read_bytes|alert number/);
  });
});
