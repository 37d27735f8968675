import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { connect, createServer, type SecureContext } from 'node:tls';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createKeyedContextPool } from '../../src/tls/keyed-context-pool.js';
import { useTemporaryMinter } from './ca-fixture.js';

/** Serves one TLS connection with `context` and resolves with what a CA-trusting client saw. */
async function handshakeWith(
  context: SecureContext,
  caPem: string,
  servername: string,
): Promise<{ authorized: boolean; subjectaltname: string | undefined }> {
  const server = createServer({ SNICallback: (_name, callback) => callback(null, context) });
  server.on('secureConnection', (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername });
  try {
    await once(socket, 'secureConnect');
    return {
      authorized: socket.authorized,
      subjectaltname: socket.getPeerCertificate().subjectaltname,
    };
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function waitUntilReady(pool: { readonly ready: number }, count: number): Promise<void> {
  for (let turn = 0; turn < 100 && pool.ready < count; turn++) await nextTurn();
}

describe('createKeyedContextPool', () => {
  const fixture = useTemporaryMinter();

  it('fills up to its size between events, one context per turn', async () => {
    const pool = createKeyedContextPool(fixture.minter.keyPem, 3);
    assert.equal(pool.ready, 0);
    await nextTurn();
    assert.equal(pool.ready, 1);
    await waitUntilReady(pool, 3);
    assert.equal(pool.ready, 3);
    await nextTurn();
    assert.equal(pool.ready, 3);
  });

  it('serves a verifiable leaf from a context whose key was loaded ahead', async () => {
    const pool = createKeyedContextPool(fixture.minter.keyPem, 2);
    await waitUntilReady(pool, 2);
    const context = pool.create(fixture.minter.mint('ready.test').certPem);
    assert.equal(pool.ready, 1);
    const seen = await handshakeWith(context, fixture.temporary.ca.certPem, 'ready.test');
    assert.deepEqual(seen, { authorized: true, subjectaltname: 'DNS:ready.test' });
    await waitUntilReady(pool, 2);
    assert.equal(pool.ready, 2);
  });

  it('builds a whole context when none is ready', async () => {
    const pool = createKeyedContextPool(fixture.minter.keyPem, 1);
    const context = pool.create(fixture.minter.mint('cold.test').certPem);
    const seen = await handshakeWith(context, fixture.temporary.ca.certPem, 'cold.test');
    assert.deepEqual(seen, { authorized: true, subjectaltname: 'DNS:cold.test' });
  });

  it('gives every host its own context', async () => {
    const pool = createKeyedContextPool(fixture.minter.keyPem, 2);
    await waitUntilReady(pool, 2);
    const first = pool.create(fixture.minter.mint('one.test').certPem);
    const second = pool.create(fixture.minter.mint('two.test').certPem);
    assert.notEqual(first, second);
    assert.equal(
      (await handshakeWith(first, fixture.temporary.ca.certPem, 'one.test')).subjectaltname,
      'DNS:one.test',
    );
    assert.equal(
      (await handshakeWith(second, fixture.temporary.ca.certPem, 'two.test')).subjectaltname,
      'DNS:two.test',
    );
  });
});
