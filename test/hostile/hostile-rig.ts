/**
 * The proxy under test in the hostile suites, with a record file, an Echo server behind it, and a
 * healthy bidirectional call that every hostile case runs next to and must leave intact.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  EchoClient,
  type EchoReply,
  type EchoRequest,
  type EchoServer,
  startEchoServer,
} from '../helpers/echo-server.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { assertRecordsKept, readRecordFile, recordsOfCall } from './hostile-harness.js';
import { waitUntil } from '../helpers/wait.js';

/** A bidirectional call kept open across a hostile case: it must still echo, then end OK. */
export interface HealthyCall {
  /** Sends one message and waits for its echo. */
  ping(text: string): Promise<void>;
  /** Ends the request side; resolves with the echoes once the call ends with status OK. */
  finish(): Promise<string[]>;
  /** `x-call-id` of the call, to find its records. */
  readonly id: string;
}

let healthyCount = 0;
/** How long an echo may take on a loaded machine before the healthy call counts as broken. */
const ECHO_DEADLINE_MS = 30_000;

export async function startHealthyCall(client: grpc.Client): Promise<HealthyCall> {
  const id = `healthy-${process.pid}-${healthyCount++}`;
  const metadata = new grpc.Metadata();
  metadata.set('x-call-id', id);
  const bidi = (client as unknown as Record<string, (m: grpc.Metadata) => unknown>).Bidi;
  if (!bidi) throw new Error('not an Echo client');
  const call = bidi.call(client, metadata) as grpc.ClientDuplexStream<EchoRequest, EchoReply>;
  const echoes: string[] = [];
  let waiting: ((text: string) => void) | null = null;
  let ended: grpc.StatusObject | null = null;
  let onEnded: ((final: grpc.StatusObject) => void) | null = null;
  const status = new Promise<grpc.StatusObject>((resolve) =>
    call.on('status', (final: grpc.StatusObject) => {
      ended = final;
      onEnded?.(final);
      resolve(final);
    }),
  );
  call.on('error', () => {});
  call.on('data', (reply: EchoReply) => {
    echoes.push(reply.text);
    waiting?.(reply.text);
  });
  /** Fails at once when the call has ended (its echo can no longer come), naming the status. */
  const ping = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const endedEarly = (final: grpc.StatusObject): void => {
        clearTimeout(timer);
        waiting = null;
        onEnded = null;
        reject(
          new Error(
            `healthy call ended before the echo of ${text}: ${grpc.status[final.code]} ${final.details}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        waiting = null;
        onEnded = null;
        reject(new Error(`healthy call: no echo of ${text} within ${ECHO_DEADLINE_MS} ms`));
      }, ECHO_DEADLINE_MS);
      waiting = (echo) => {
        if (echo !== `echo:${text}`) return;
        clearTimeout(timer);
        waiting = null;
        onEnded = null;
        resolve();
      };
      if (ended !== null) {
        endedEarly(ended);
        return;
      }
      onEnded = endedEarly;
      call.write({ text });
    });
  await ping('first');
  return {
    id,
    ping,
    async finish() {
      call.end();
      const final = await status;
      assert.equal(final.code, grpc.status.OK, `healthy call ended with ${final.details}`);
      return echoes;
    },
  };
}

/** A proxy with a record file, an Echo server behind it and a client for healthy calls. */
export interface HostileRig {
  readonly pki: TestPki;
  readonly echo: EchoServer;
  readonly proxy: ProxyProcess;
  /** The proxy's CA certificate (PEM), for clients through its TLS interception. */
  readonly proxyCa: string;
  readonly recordPath: string;
  /** An Echo client through the proxy (CONNECT + TLS). */
  readonly client: grpc.Client;
  /** Another Echo client through the proxy, closed by `close`. */
  createClient(port?: number): grpc.Client;
  /**
   * Runs `hostile` next to a bidirectional call, then checks what must hold after any hostile
   * case: the proxy process is alive, the call still echoes and ends OK with complete records,
   * and every record in the record file before the case is still there.
   */
  survive<T>(hostile: () => Promise<T>): Promise<T>;
  close(): Promise<number | null>;
}

export async function startHostileRig(args: readonly string[] = []): Promise<HostileRig> {
  const pki = await createTestPki();
  const echo = await startEchoServer(pki.localhost);
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-hostile-'));
  const recordPath = join(dir, 'records.ndjson');
  const proxy = await startProxy({
    args: ['--upstream-ca', pki.caPath, '--record', recordPath, ...args],
  });
  const proxyCa = await readFile(proxy.caPath, 'utf8');
  const clients: grpc.Client[] = [];
  const createClient = (port = echo.port): grpc.Client => {
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(
      `localhost:${port}`,
      grpc.credentials.createSsl(Buffer.from(proxyCa)),
    );
    clients.push(client);
    return client;
  };
  const client = createClient();
  return {
    pki,
    echo,
    proxy,
    proxyCa,
    recordPath,
    client,
    createClient,
    async survive(hostile) {
      const before = readRecordFile(recordPath);
      const healthy = await startHealthyCall(client);
      const result = await hostile();
      assert.equal(proxy.child.exitCode, null, 'the proxy is still running');
      await healthy.ping('after').catch((error: Error) => {
        throw new Error(`${error.message}; proxy stderr:\n${proxy.stderr()}`, { cause: error });
      });
      const echoes = await healthy.finish();
      assert.deepEqual(echoes, ['echo:first', 'echo:after']);
      await waitUntil(
        () =>
          recordsOfCall(readRecordFile(recordPath), 'x-call-id', healthy.id).some(
            (record) => record.event === 'flow',
          ),
        'the healthy call to be recorded',
      );
      const flow = recordsOfCall(readRecordFile(recordPath), 'x-call-id', healthy.id).find(
        (record) => record.event === 'flow',
      );
      assert.equal(flow?.state, 'complete');
      assert.equal(flow?.requestMessages, 2);
      assert.equal(flow?.responseMessages, 2);
      assertRecordsKept(before, recordPath);
      return result;
    },
    async close() {
      for (const each of clients) each.close();
      await echo.close();
      const code = await proxy.stop();
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
