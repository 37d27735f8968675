/**
 * Upstream faults through the real proxy, seen by a grpc-js client: refused, unreachable,
 * untrusted or expired certificates, resets, GOAWAY mid-call, a connection dropped mid-message, a
 * stall under a client deadline, and malformed gRPC responses. The affected call fails with a
 * status naming the cause, its flow ends with an `error` end record, and the rest goes on.
 */
import assert from 'node:assert/strict';
import { generateKeyPair } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import forge from 'node-forge';
import { type H2Server, startH2Server } from '../helpers/h2-peers.js';
import { createTestPki } from '../helpers/test-pki.js';
import { grpcMessage, type JsonRecord, readRecordFile } from './hostile-harness.js';
import { type HostileRig, startHostileRig } from './hostile-rig.js';
import { waitUntil } from '../helpers/wait.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A `localhost` leaf from the test CA whose validity ended yesterday. The key is generated off the
 * event loop: the proxy closes a client that leaves its PING unanswered for `--handshake-timeout`
 * (1 s here), and a synchronous RSA key takes that long on a loaded machine.
 */
async function mintExpiredLeaf(pkiDir: string): Promise<{ certPem: string; keyPem: string }> {
  const caCert = forge.pki.certificateFromPem(await readFile(join(pkiDir, 'ca.pem'), 'utf8'));
  const caKey = forge.pki.privateKeyFromPem(await readFile(join(pkiDir, 'ca-key.pem'), 'utf8'));
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    publicKey.export({ type: 'spki', format: 'pem' }) as string,
  );
  cert.serialNumber = '0badc0de';
  cert.validity.notBefore = new Date(Date.now() - 3 * DAY_MS);
  cert.validity.notAfter = new Date(Date.now() - DAY_MS);
  cert.setSubject([{ shortName: 'CN', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** A unary call of any method with raw bytes both ways. */
function callRaw(
  client: grpc.Client,
  path: string,
  options: grpc.CallOptions = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (value: Buffer) => value,
      (bytes: Buffer) => bytes,
      Buffer.from('request'),
      new grpc.Metadata(),
      options,
      (error, value) => (error ? reject(error) : resolve(value as Buffer)),
    ),
  );
}

async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => assert.fail('the call must fail'),
    (error: grpc.ServiceError) => error,
  );
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('upstream faults', () => {
  let rig: HostileRig;
  let faulty: H2Server;
  let faultyClient: grpc.Client;
  const sessions = new Set<http2.ServerHttp2Session>();
  const stalled: http2.ServerHttp2Stream[] = [];
  let slowStreamId = 0;
  let goawaySent = false;

  before(async () => {
    rig = await startHostileRig(['--handshake-timeout', '1s']);
    faulty = await startH2Server((stream, headers) => {
      if (stream.session) sessions.add(stream.session as http2.ServerHttp2Session);
      const ok = (body: Buffer): void => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          { waitForTrailers: true },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(grpcMessage(body));
      };
      stream.resume();
      switch (headers[':path']) {
        case '/fault.Svc/Reset':
          // waitForTrailers: Node's close() would otherwise end the stream before resetting it.
          stream.respond(
            { ':status': 200, 'content-type': 'application/grpc' },
            { waitForTrailers: true },
          );
          stream.write(grpcMessage(Buffer.from('partial')));
          setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 50);
          return;
        case '/fault.Svc/DropMidMessage':
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
          stream.write(Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]));
          setTimeout(() => stream.session?.destroy(), 50);
          return;
        case '/fault.Svc/Stall':
          stalled.push(stream);
          return;
        case '/fault.Svc/Garbage':
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
          // Flag bits gRPC reserves, then bytes that are not a message.
          stream.write(Buffer.from([0x80, 0, 0, 0, 3, 0x67, 0x61, 0x72]));
          return;
        case '/fault.Svc/Slow':
          slowStreamId = stream.id ?? 0;
          setTimeout(() => ok(Buffer.from('slow but fine')), 600);
          return;
        case '/fault.Svc/GoAway':
          if (!goawaySent) {
            goawaySent = true;
            stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, slowStreamId);
            return;
          }
          ok(Buffer.from('after goaway'));
          return;
        default:
          ok(Buffer.from('ok'));
      }
    }, rig.pki.localhost);
    faultyClient = rig.createClient(faulty.port);
  });
  after(async () => {
    await faulty.close();
    assert.equal(await rig.close(), 0);
  });

  /** The end record of the latest flow to `path`, once its `flow` record is written. */
  async function endOf(path: string): Promise<JsonRecord> {
    let end: JsonRecord | undefined;
    await waitUntil(() => {
      const records = readRecordFile(rig.recordPath);
      const start = records.findLast(
        (r) => r.event === 'start' && r.direction === 'send' && r.path === path,
      );
      const flow = records.filter((r) => r.flowId === start?.flowId);
      end = flow.find((r) => r.event === 'end');
      return flow.some((r) => r.event === 'flow');
    }, `the end of ${path}`);
    return end as JsonRecord;
  }
  const errorOf = (end: JsonRecord) => end.error as { code: string; side: string; reason: string };

  test('a refused upstream: UNAVAILABLE naming it, UPSTREAM_REFUSED', async () => {
    await rig.survive(async () => {
      const client = rig.createClient(await closedPort());
      const error = await failure(callRaw(client, '/fault.Svc/Refused'));
      assert.equal(error.code, grpc.status.UNAVAILABLE);
      assert.match(error.details, /refused the connection/);
      const end = await endOf('/fault.Svc/Refused');
      assert.deepEqual([errorOf(end).code, errorOf(end).side], ['UPSTREAM_REFUSED', 'upstream']);
      await rig.proxy.waitForStderr(/refused the connection/);
    });
  });

  test('an upstream that accepts TCP but never answers TLS: UNAVAILABLE after the timeout', async () => {
    await rig.survive(async () => {
      const held: net.Socket[] = [];
      const blackhole = net.createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
      const { port } = blackhole.address() as net.AddressInfo;
      try {
        const started = Date.now();
        const error = await failure(callRaw(rig.createClient(port), '/fault.Svc/Blackhole'));
        assert.equal(error.code, grpc.status.UNAVAILABLE);
        assert.match(
          error.details,
          new RegExp(`localhost:${port} is unreachable: connect timeout after 1000 ms`),
        );
        assert.ok(Date.now() - started >= 900, 'after --handshake-timeout');
        const end = await endOf('/fault.Svc/Blackhole');
        assert.deepEqual(
          [errorOf(end).code, errorOf(end).side],
          ['UPSTREAM_UNREACHABLE', 'upstream'],
        );
      } finally {
        for (const socket of held) socket.destroy();
        blackhole.close();
      }
    });
  });

  test('an untrusted or expired upstream certificate: UNAVAILABLE naming the check', async () => {
    // Certificates are made before the healthy call opens: forge's signing holds the event loop,
    // and the healthy call's client must keep answering the proxy's PINGs.
    const stranger = await createTestPki();
    const untrusted = await startH2Server(() => {}, stranger.localhost);
    const expired = await startH2Server(() => {}, await mintExpiredLeaf(rig.pki.dir));
    try {
      await rig.survive(async () => {
        const cases = [
          {
            port: untrusted.port,
            details: /certificate verification failed.*(self.signed|unable to (get|verify))/i,
          },
          {
            port: expired.port,
            details: /certificate verification failed.*certificate has expired/i,
          },
        ];
        for (const { port, details } of cases) {
          const error = await failure(callRaw(rig.createClient(port), '/fault.Svc/Tls'));
          assert.equal(error.code, grpc.status.UNAVAILABLE);
          assert.match(error.details, details);
          assert.match(error.details, /--upstream-ca FILE or --upstream-insecure/);
          const end = await endOf('/fault.Svc/Tls');
          assert.equal(errorOf(end).code, 'UPSTREAM_TLS_VERIFY_FAILED');
        }
        await rig.proxy.waitForStderr(/certificate has expired/);
      });
    } finally {
      await untrusted.close();
      await expired.close();
      await stranger.remove();
    }
  });

  test('an upstream reset mid-response reaches the client and the record', async () => {
    await rig.survive(async () => {
      const error = await failure(callRaw(faultyClient, '/fault.Svc/Reset'));
      assert.equal(error.code, grpc.status.INTERNAL);
      const end = await endOf('/fault.Svc/Reset');
      assert.deepEqual([errorOf(end).code, errorOf(end).side], ['INTERNAL_ERROR', 'upstream']);
    });
  });

  test('GOAWAY mid-call: the in-flight call completes, new calls use a new session', async () => {
    await rig.survive(async () => {
      const sessionsBefore = sessions.size;
      const slow = callRaw(faultyClient, '/fault.Svc/Slow');
      await waitUntil(() => slowStreamId !== 0, 'the slow call to reach the upstream');
      const refusedOrRetried = callRaw(faultyClient, '/fault.Svc/GoAway').then(
        (value) => value.toString(),
        (error: grpc.ServiceError) => error.code,
      );
      assert.equal(
        (await slow).toString(),
        'slow but fine',
        'the call below lastStreamId completes',
      );
      const outcome = await refusedOrRetried;
      // Above lastStreamId: refused (REFUSED_STREAM passed through), which grpc-js may retry.
      assert.ok(outcome === 'after goaway' || outcome === grpc.status.UNAVAILABLE, `${outcome}`);
      assert.equal((await callRaw(faultyClient, '/fault.Svc/After')).toString(), 'ok');
      assert.ok(sessions.size > sessionsBefore, 'a new upstream session was opened');
      assert.equal((await endOf('/fault.Svc/Slow')).status, 0);
    });
  });

  test('the upstream connection dropping mid-message fails the call and says so', async () => {
    await rig.survive(async () => {
      const error = await failure(callRaw(faultyClient, '/fault.Svc/DropMidMessage'));
      assert.equal(error.code, grpc.status.INTERNAL, error.details);
      const end = await endOf('/fault.Svc/DropMidMessage');
      assert.deepEqual(
        [errorOf(end).code, errorOf(end).side],
        ['UPSTREAM_CONNECTION_CLOSED', 'upstream'],
      );
      await rig.proxy.waitForStderr(/upstream session .* failed|closed mid-stream/);
    });
  });

  test('a stalled upstream: the client deadline still fires and the upstream stream is cancelled', async () => {
    await rig.survive(async () => {
      // An earlier case drops the upstream connection. With a new one to open, a loaded machine
      // can spend the whole deadline before the call reaches the upstream, leaving no upstream
      // stream to cancel; one call first gets the proxy connected again.
      assert.equal((await callRaw(faultyClient, '/fault.Svc/Warm')).toString(), 'ok');
      const before = stalled.length;
      const error = await failure(
        callRaw(faultyClient, '/fault.Svc/Stall', { deadline: Date.now() + 300 }),
      );
      assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);
      const end = await endOf('/fault.Svc/Stall');
      assert.deepEqual([errorOf(end).code, errorOf(end).side], ['CANCEL', 'client']);
      const upstreamSide = stalled[before];
      assert.ok(upstreamSide, 'the call reached the upstream before its deadline');
      await waitUntil(() => upstreamSide.closed, 'the upstream stream to be cancelled');
      assert.equal(upstreamSide.rstCode, http2.constants.NGHTTP2_CANCEL);
    });
  });

  test('garbage instead of gRPC framing from the upstream ends the call, not the proxy', async () => {
    await rig.survive(async () => {
      const error = await failure(callRaw(faultyClient, '/fault.Svc/Garbage'));
      assert.equal(error.code, grpc.status.INTERNAL, error.details);
      const end = await endOf('/fault.Svc/Garbage');
      assert.deepEqual([errorOf(end).code, errorOf(end).side], ['UNKNOWN_FLAGS', 'upstream']);
      assert.equal((await callRaw(faultyClient, '/fault.Svc/Fine')).toString(), 'ok');
    });
  });
});
