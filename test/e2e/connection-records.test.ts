/**
 * Records name the connection a flow used: the client's address and port, the tunnel, SNI, ALPN
 * and TLS version of the client leg, and the upstream actually connected, each checked against
 * what the client and the upstream server themselves saw.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import {
  connectThroughProxy,
  type H2Server,
  rawSocketOf,
  startH2Server,
} from '../helpers/h2-peers.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';

type JsonRecord = Record<string, unknown>;

/** What the upstream server saw of the proxy's connection for a request, by `x-id`. */
interface SeenByUpstream {
  readonly localAddress: string;
  readonly localPort: number;
  readonly tlsVersion: string | null;
  readonly alpn: string | null;
}

function startGrpcUpstream(
  seen: Map<string, SeenByUpstream>,
  pki: TestPki | null,
): Promise<H2Server> {
  return startH2Server((stream, headers) => {
    const socket = stream.session?.socket as (Socket & Partial<tls.TLSSocket>) | undefined;
    seen.set(String(headers['x-id']), {
      localAddress: socket?.localAddress ?? '',
      localPort: socket?.localPort ?? 0,
      tlsVersion: socket?.getProtocol?.() ?? null,
      alpn: stream.session?.alpnProtocol ?? null,
    });
    stream.resume();
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  }, pki?.localhost ?? null);
}

/** One unary gRPC call with an empty message; resolves once the stream closes. */
function callOnce(session: http2.ClientHttp2Session, authority: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/test.Conn/Call',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
      'x-id': id,
    });
    stream.on('error', reject);
    stream.resume();
    stream.on('close', () => resolve());
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

async function flowRecordsOf(
  proxy: ProxyProcess,
  id: string,
): Promise<{ start: JsonRecord; flow: JsonRecord }> {
  const start = await proxy.waitForRecord(
    (r) =>
      r.event === 'start' &&
      r.direction === 'send' &&
      JSON.stringify(r.headers).includes(`"x-id","${id}"`),
  );
  const flow = await proxy.waitForRecord((r) => r.event === 'flow' && r.flowId === start.flowId);
  assertValidRecord(start);
  assertValidRecord(flow);
  return { start, flow };
}

describe('connection fields on records', () => {
  let pki: TestPki;
  const seen = new Map<string, SeenByUpstream>();
  let tlsUpstream: H2Server;
  let h2cUpstream: H2Server;
  let forward: ProxyProcess;
  let reverse: ProxyProcess;

  before(async () => {
    pki = await createTestPki();
    tlsUpstream = await startGrpcUpstream(seen, pki);
    h2cUpstream = await startGrpcUpstream(seen, null);
    forward = await startProxy({ args: ['--upstream-ca', pki.caPath] });
    reverse = await startProxy({
      args: ['--reverse', `https://localhost:${tlsUpstream.port}`, '--upstream-ca', pki.caPath],
    });
  });
  after(async () => {
    await tlsUpstream.close();
    await h2cUpstream.close();
    await forward.stop();
    await reverse.stop();
    await pki.remove();
  });

  test('a call through CONNECT and TLS records the tunnel, both TLS legs and the upstream address', async () => {
    const authority = `localhost:${tlsUpstream.port}`;
    const session = await connectThroughProxy(
      forward.port,
      authority,
      await readFile(forward.caPath, 'utf8'),
    );
    try {
      await callOnce(session, authority, 'connect-tls');
      const clientTls = session.socket as unknown as tls.TLSSocket;
      const { start, flow } = await flowRecordsOf(forward, 'connect-tls');
      const upstreamSaw = seen.get('connect-tls');
      assert.ok(upstreamSaw);
      const connection = start.connection as JsonRecord;
      assert.deepEqual(
        { ...connection, id: typeof connection.id, upstream: typeof connection.upstream },
        {
          id: 'string',
          clientAddress: '127.0.0.1',
          clientPort: rawSocketOf(session).localPort,
          tunnel: authority,
          sni: 'localhost',
          alpn: 'h2',
          tlsVersion: clientTls.getProtocol(),
          upstream: 'object',
        },
      );
      assert.deepEqual((flow.connection as JsonRecord).upstream, {
        host: 'localhost',
        port: tlsUpstream.port,
        tls: true,
        address: upstreamSaw.localAddress,
        addressPort: tlsUpstream.port,
        sni: 'localhost',
        alpn: upstreamSaw.alpn,
        tlsVersion: upstreamSaw.tlsVersion,
      });
      assert.equal((flow.connection as JsonRecord).id, connection.id);
    } finally {
      session.close();
    }
  });

  test('a call in --reverse mode records the real upstream, not the proxy it was addressed to', async () => {
    const ca = await readFile(reverse.caPath, 'utf8');
    const session = http2.connect(`https://localhost:${reverse.port}`, { ca });
    session.on('error', () => {});
    try {
      await callOnce(session, `localhost:${reverse.port}`, 'reverse');
      const { start, flow } = await flowRecordsOf(reverse, 'reverse');
      assert.equal(start.authority, `localhost:${reverse.port}`);
      const connection = flow.connection as JsonRecord;
      assert.equal(connection.tunnel, null);
      assert.equal(connection.clientPort, session.socket.localPort);
      assert.equal(connection.sni, 'localhost');
      assert.equal(
        connection.tlsVersion,
        (session.socket as unknown as tls.TLSSocket).getProtocol(),
      );
      const upstream = connection.upstream as JsonRecord;
      assert.equal(upstream.host, 'localhost');
      assert.equal(upstream.port, tlsUpstream.port);
      assert.equal(upstream.address, seen.get('reverse')?.localAddress);
      assert.equal(upstream.tlsVersion, seen.get('reverse')?.tlsVersion);
    } finally {
      session.close();
    }
  });

  test('an h2c call straight to the proxy records cleartext on both legs', async () => {
    const session = http2.connect(`http://127.0.0.1:${forward.port}`);
    session.on('error', () => {});
    try {
      const authority = `127.0.0.1:${h2cUpstream.port}`;
      await callOnce(session, authority, 'h2c');
      const { flow } = await flowRecordsOf(forward, 'h2c');
      const connection = flow.connection as JsonRecord;
      assert.equal(connection.clientPort, session.socket.localPort);
      assert.deepEqual(
        [connection.tunnel, connection.sni, connection.alpn, connection.tlsVersion],
        [null, null, null, null],
      );
      assert.deepEqual(connection.upstream, {
        host: '127.0.0.1',
        port: h2cUpstream.port,
        tls: false,
        address: '127.0.0.1',
        addressPort: h2cUpstream.port,
        sni: null,
        alpn: 'h2c',
        tlsVersion: null,
      });
    } finally {
      session.close();
    }
  });

  test('a plain HTTP/2 exchange carries the connection and both header lists', async () => {
    const session = http2.connect(`http://127.0.0.1:${forward.port}`);
    session.on('error', () => {});
    try {
      await new Promise<void>((resolve) => {
        const stream = session.request({
          ':path': '/plain',
          ':authority': `127.0.0.1:${h2cUpstream.port}`,
          'x-id': 'plain',
        });
        stream.resume();
        stream.on('error', () => {});
        stream.on('close', () => resolve());
      });
      const record = await forward.waitForRecord(
        (r) => r.protocol === 'http' && r.path === '/plain',
      );
      assertValidRecord(record);
      const connection = record.connection as JsonRecord;
      assert.equal(connection.clientPort, session.socket.localPort);
      assert.equal((connection.upstream as JsonRecord).addressPort, h2cUpstream.port);
      assert.deepEqual(
        (record.requestHeaders as [string, string][]).find(([name]) => name === 'x-id'),
        ['x-id', 'plain'],
      );
      assert.equal((record.responseHeaders as [string, string][])[0]?.[0], ':status');
    } finally {
      session.close();
    }
  });
});
