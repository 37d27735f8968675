import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import {
  createSelfSignedCertificate,
  send,
  startProxy,
  startUpstream,
  type TestUpstream,
} from './forwarder-harness.js';

describe('HTTPS upstreams', () => {
  const certificate = createSelfSignedCertificate();
  let upstream: TestUpstream;
  const servernames: (string | false | null)[] = [];

  before(async () => {
    const server = https.createServer({ key: certificate.key, cert: certificate.cert });
    upstream = await startUpstream((req, res) => {
      servernames.push((req.socket as tls.TLSSocket).servername);
      res.end(`secure ${req.url}`);
    }, server);
  });

  after(async () => {
    await upstream.close();
  });

  it('verifies the upstream with an extra CA, sends SNI and reuses the connection', async () => {
    const tlsSockets: tls.TLSSocket[] = [];
    const proxy = await startProxy(
      { host: '127.0.0.1', port: upstream.port, tls: true, servername: 'localhost' },
      {
        upstreamTls: { ca: [certificate.cert], rejectUnauthorized: true },
        onUpstreamTlsSocket: (socket) => tlsSockets.push(socket),
      },
    );
    const first = await send({ port: proxy.port, path: '/one' });
    const second = await send({ port: proxy.port, path: '/two' });
    assert.equal(first.status, 200);
    assert.equal(first.body, 'secure /one');
    assert.equal(second.body, 'secure /two');
    assert.deepEqual(servernames.slice(-2), ['localhost', 'localhost']);
    assert.equal(tlsSockets.length, 1, 'one pooled TLS connection, reported once');
    await proxy.close();
  });

  it('verifies an IP target against the certificate IP SAN without sending SNI', async () => {
    const proxy = await startProxy(
      { host: '127.0.0.1', port: upstream.port, tls: true },
      { upstreamTls: { ca: [certificate.cert], rejectUnauthorized: true } },
    );
    const response = await send({ port: proxy.port, path: '/ip' });
    assert.equal(response.body, 'secure /ip');
    assert.equal(servernames.at(-1), false);
    await proxy.close();
  });

  it('answers 502 saying verification failed, and how to fix it, for an untrusted certificate', async () => {
    const proxy = await startProxy({
      host: '127.0.0.1',
      port: upstream.port,
      tls: true,
      servername: 'localhost',
    });
    const response = await send({ port: proxy.port, path: '/' });
    assert.equal(response.status, 502);
    assert.match(
      response.body,
      /^grpctap: upstream certificate verification failed for 127\.0\.0\.1:\d+: /,
    );
    assert.match(response.body, /use --upstream-ca FILE or --upstream-insecure/);
    const [summary] = await proxy.summariesAfter(1);
    assert.equal(summary?.error?.code, 'UPSTREAM_TLS_VERIFY_FAILED');
    assert.equal(summary?.error?.side, 'upstream');
    assert.equal(proxy.logs.length, 1);
    await proxy.close();
  });

  it('answers 502 when the certificate does not match the server name', async () => {
    const proxy = await startProxy(
      { host: '127.0.0.1', port: upstream.port, tls: true, servername: 'other.example' },
      { upstreamTls: { ca: [certificate.cert], rejectUnauthorized: true } },
    );
    const response = await send({ port: proxy.port, path: '/' });
    assert.equal(response.status, 502);
    assert.match(response.body, /certificate verification failed.*other\.example/);
    await proxy.close();
  });

  it('forwards to an untrusted upstream when verification is off', async () => {
    const proxy = await startProxy(
      { host: '127.0.0.1', port: upstream.port, tls: true },
      { upstreamTls: { rejectUnauthorized: false } },
    );
    const response = await send({ port: proxy.port, path: '/insecure' });
    assert.equal(response.body, 'secure /insecure');
    await proxy.close();
  });
});
