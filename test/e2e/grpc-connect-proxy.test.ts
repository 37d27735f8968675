import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EchoClient, type EchoServer, startEchoServer } from '../helpers/echo-server.js';
import { callBidi, callClientStream, callServerStream, callUnary } from '../helpers/grpc-calls.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';

describe('a grpc-js client through the proxy with CONNECT to a TLS server', () => {
  let pki: TestPki;
  let server: EchoServer;
  let proxy: ProxyProcess;
  let client: grpc.Client;

  before(async () => {
    pki = await createTestPki();
    server = await startEchoServer(pki.localhost);
    proxy = await startProxy({ args: ['--upstream-ca', pki.caPath] });
    process.env.grpc_proxy = proxy.url;
    const proxyCa = await readFile(proxy.caPath);
    client = new EchoClient(`localhost:${server.port}`, grpc.credentials.createSsl(proxyCa));
  });

  after(async () => {
    client.close();
    delete process.env.grpc_proxy;
    await server.close();
    await proxy.stop();
    await pki.remove();
  });

  test('passes a unary call with its metadata, headers and trailers intact', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-echo', 'hello-metadata');
    const result = await callUnary(
      client,
      { text: 'ping', blob: Buffer.from([0, 1, 2, 255]) },
      metadata,
    );
    assert.equal(result.value.text, 'ping');
    assert.deepEqual([...result.value.blob], [0, 1, 2, 255]);
    assert.deepEqual(result.headers.get('x-echo'), ['hello-metadata']);
    assert.deepEqual(result.trailers.get('x-trailer'), ['trailer-value']);
  });

  test('passes a server-streaming call message by message', async () => {
    const result = await callServerStream(client, { text: 's', count: 5, size: 10 });
    assert.deepEqual(
      result.value.map((reply) => reply.text),
      ['s#0', 's#1', 's#2', 's#3', 's#4'],
    );
    assert.deepEqual(result.trailers.get('x-trailer'), ['trailer-value']);
  });

  test('passes a client-streaming call', async () => {
    const result = await callClientStream(client, [{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
    assert.equal(result.value.text, 'a,b,c');
    assert.equal(result.value.index, 3);
  });

  test('passes a bidirectional call in lock step', async () => {
    const result = await callBidi(client, [{ text: '1' }, { text: '2' }, { text: '3' }]);
    assert.deepEqual(
      result.value.map((reply) => reply.text),
      ['echo:1', 'echo:2', 'echo:3'],
    );
    assert.deepEqual(result.trailers.get('x-trailer'), ['trailer-value']);
  });

  test('relays an error status with its message, details and custom trailers', async () => {
    const error = await callUnary(client, {
      text: 'x',
      status: grpc.status.FAILED_PRECONDITION,
      statusMessage: 'nope: 100% wrong ✗',
    }).then(
      () => assert.fail('the call should fail'),
      (e: grpc.ServiceError) => e,
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(error.details, 'nope: 100% wrong ✗');
    assert.deepEqual(error.metadata.get('x-trailer'), ['trailer-value']);
    assert.deepEqual(error.metadata.get('grpc-status-details-bin'), [Buffer.from('details-bytes')]);
  });

  test('writes records for every call on stdout', async () => {
    const flows = await proxy.waitForRecord((r) => r.event === 'flow' && r.method === 'Bidi');
    assert.equal(flows.service, 'grpctap.test.Echo');
    assert.equal(flows.state, 'complete');
  });
});
