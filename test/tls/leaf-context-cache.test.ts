import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type PeerCertificate, type SecureContext, TLSSocket } from 'node:tls';
import { createLeafContextCache, type LeafContextCache } from '../../src/tls/leaf-context-cache.js';
import type { LeafMinter } from '../../src/tls/leaf-minter.js';
import { useTemporaryMinter } from './ca-fixture.js';

/** The cache as a TLS server's `SNICallback`, to hand real handshakes minted contexts. */
function createSniCallback(
  cache: LeafContextCache,
): (servername: string, callback: (error: Error | null, context?: SecureContext) => void) => void {
  return (servername, callback) => {
    cache.get(servername).then(
      (context) => callback(null, context),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

/** Wraps a minter to count mints and optionally fail some of them. */
function countingMinter(
  inner: LeafMinter,
  shouldFail: (host: string) => boolean = () => false,
): LeafMinter & { readonly mints: string[] } {
  const mints: string[] = [];
  return {
    validityDays: inner.validityDays,
    keyPem: inner.keyPem,
    mints,
    mint(host: string) {
      mints.push(host);
      if (shouldFail(host)) {
        throw new Error(`mint failed for ${host}`);
      }
      return inner.mint(host);
    },
  };
}

/**
 * A TCP server that terminates TLS the way the listener will: the socket's own context is minted
 * for `fallbackHost` (the CONNECT target) and SNI, when sent, picks the leaf instead.
 */
async function startMitmServer(cache: LeafContextCache, fallbackHost: string): Promise<Server> {
  const server = createServer((socket) => {
    cache.get(fallbackHost).then(
      (secureContext) => {
        const tlsSocket = new TLSSocket(socket, {
          isServer: true,
          secureContext,
          SNICallback: createSniCallback(cache),
        });
        tlsSocket.on('error', () => socket.destroy());
        tlsSocket.on('secure', () => tlsSocket.end('hello'));
      },
      () => socket.destroy(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Connects a verifying TLS client and returns what it saw. */
async function handshake(
  server: Server,
  caPem: string,
  servername: string | undefined,
): Promise<{ authorized: boolean; peer: PeerCertificate; body: string }> {
  const { port } = server.address() as AddressInfo;
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: caPem,
    ...(servername === undefined ? {} : { servername }),
  });
  try {
    await once(socket, 'secureConnect');
    const peer = socket.getPeerCertificate();
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      body += chunk;
    });
    await once(socket, 'end');
    return { authorized: socket.authorized, peer, body };
  } finally {
    socket.destroy();
  }
}

describe('createLeafContextCache', () => {
  const fixture = useTemporaryMinter();

  it('mints once for concurrent requests for one host', async () => {
    const counting = countingMinter(fixture.minter);
    const cache = createLeafContextCache(counting);
    const contexts = await Promise.all([
      cache.get('same.test'),
      cache.get('same.test'),
      cache.get('SAME.test.'),
    ]);
    assert.deepEqual(counting.mints, ['same.test']);
    assert.equal(contexts[0], contexts[1]);
    assert.equal(contexts[0], contexts[2]);
    assert.equal(await cache.get('same.test'), contexts[0]);
    assert.deepEqual(counting.mints, ['same.test']);
  });

  it('shares one entry between bracketed and bare IPv6 literals', async () => {
    const counting = countingMinter(fixture.minter);
    const cache = createLeafContextCache(counting);
    const [bracketed, bare] = await Promise.all([cache.get('[::1]'), cache.get('::1')]);
    assert.equal(bracketed, bare);
    assert.deepEqual(counting.mints, ['::1']);
  });

  it('does not keep a failed mint, so the next request tries again', async () => {
    let failures = 1;
    const counting = countingMinter(fixture.minter, () => failures-- > 0);
    const cache = createLeafContextCache(counting);
    await assert.rejects(Promise.all([cache.get('flaky.test'), cache.get('flaky.test')]), /failed/);
    assert.equal(cache.size, 0);
    await cache.get('flaky.test');
    assert.deepEqual(counting.mints, ['flaky.test', 'flaky.test']);
  });

  it('rejects hosts that cannot be minted for', async () => {
    const cache = createLeafContextCache(fixture.minter);
    await assert.rejects(cache.get('not a host'), RangeError);
    assert.equal(cache.size, 0);
  });

  it('evicts the least recently used host beyond max', async () => {
    const counting = countingMinter(fixture.minter);
    const cache = createLeafContextCache(counting, { max: 2 });
    await cache.get('a.test');
    await cache.get('b.test');
    await cache.get('a.test');
    await cache.get('c.test');
    assert.equal(cache.size, 2);
    await cache.get('a.test');
    await cache.get('b.test');
    assert.deepEqual(counting.mints, ['a.test', 'b.test', 'c.test', 'b.test']);
  });

  describe('serving real TLS handshakes', () => {
    let server: Server;
    let counting: ReturnType<typeof countingMinter>;

    before(async () => {
      counting = countingMinter(fixture.minter);
      server = await startMitmServer(createLeafContextCache(counting), '127.0.0.1');
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('serves the SNI host a leaf that a client trusting the CA verifies', async () => {
      const result = await handshake(server, fixture.temporary.ca.certPem, 'example.test');
      assert.equal(result.authorized, true);
      assert.equal(result.peer.subjectaltname, 'DNS:example.test');
      assert.equal(result.peer.issuer.CN, 'grpctap CA');
      assert.equal(result.body, 'hello');
    });

    it('serves the fallback host to a client that sends no SNI for an IP target', async () => {
      const result = await handshake(server, fixture.temporary.ca.certPem, undefined);
      assert.equal(result.authorized, true);
      assert.equal(result.peer.subjectaltname, 'IP Address:127.0.0.1');
      assert.equal(result.body, 'hello');
    });

    it('is rejected by a client that does not trust the CA', async () => {
      const { port } = server.address() as AddressInfo;
      const socket = connect({ host: '127.0.0.1', port, servername: 'example.test' });
      const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
      socket.destroy();
      assert.equal(error.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it('minted each host once across all handshakes', () => {
      assert.deepEqual([...counting.mints].sort(), ['127.0.0.1', 'example.test']);
    });
  });
});
