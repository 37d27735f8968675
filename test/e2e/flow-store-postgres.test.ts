/**
 * The flow store in a real PostgreSQL server: two proxies in front of one Echo server write into
 * one database, and the store commands read both proxies' flows from it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { STORE_LOCK_KEY } from '../../src/store/prepare-store.js';
import {
  ECHO_PROTO,
  EchoClient,
  type EchoServer,
  startEchoServer,
} from '../helpers/echo-server.js';
import { callServerStream, callUnary } from '../helpers/grpc-calls.js';
import {
  findPostgresMissing,
  type PostgresServer,
  startPostgres,
} from '../helpers/postgres-server.js';
import {
  listStoredFlows,
  runStoreCli,
  waitForStoredFlows,
  stdoutLines,
  waitForRecordedLines,
} from '../helpers/read-store.js';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { waitUntil } from '../helpers/wait.js';
import { createCallMetadata, waitForCallStart } from './grpc-harness.js';

const PASSWORD = 's3cret';

const missing = findPostgresMissing();
// CI installs PostgreSQL (.ci/run): there a missing server is a failure, not a skip.
const skip = missing !== null && !process.env.CI ? missing : false;

interface Instance {
  readonly proxy: ProxyProcess;
  readonly client: grpc.Client;
  readonly recordPath: string;
}

describe('the flow store in PostgreSQL, written by two proxies', { skip }, () => {
  let postgres: PostgresServer;
  let pki: TestPki;
  let server: EchoServer;
  let dir: string;
  /** The store URL the proxies and commands get: with a password, which trust auth ignores. */
  let store: string;
  const instances: Instance[] = [];
  const tagged = (extra: Record<string, string> = {}) =>
    createCallMetadata({ 'x-suite': String(process.pid), ...extra });

  before(async () => {
    postgres = await startPostgres();
    store = postgres.url.replace('postgres@', `postgres:${PASSWORD}@`);
    dir = await mkdtemp(join(tmpdir(), 'grpctap-pg-records-'));
    pki = await createTestPki();
    server = await startEchoServer(pki.localhost);
    const recordPaths = ['a', 'b'].map((name) => join(dir, `${name}.ndjson`));
    // Both start at once: creating the tables in one database is serialized by the store's lock.
    const proxies = await Promise.all(
      recordPaths.map((recordPath) =>
        startProxy({
          args: [
            '--upstream-ca',
            pki.caPath,
            '--store',
            store,
            '--record',
            recordPath,
            '--proto',
            ECHO_PROTO,
          ],
        }),
      ),
    );
    for (const [index, proxy] of proxies.entries()) {
      const ca = await readFile(proxy.caPath);
      // grpc-js reads `grpc_proxy` when a channel is created: set right before each.
      process.env.grpc_proxy = proxy.url;
      const client = new EchoClient(`localhost:${server.port}`, grpc.credentials.createSsl(ca));
      instances.push({ proxy, client, recordPath: recordPaths[index] as string });
    }
  });

  after(async () => {
    for (const { client } of instances) client.close();
    await Promise.all(instances.map(({ proxy }) => proxy.stop()));
    await server?.close();
    await pki?.remove();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await postgres?.stop();
  });

  test('each proxy prints the store with its password masked', () => {
    for (const { proxy } of instances) {
      assert.match(
        proxy.stderr(),
        new RegExp(
          `storing flows in postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${postgres.port}/grpctap `,
        ),
      );
      assert.doesNotMatch(proxy.stderr(), new RegExp(PASSWORD));
    }
  });

  test('calls through both proxies are found together, apart by origin, and by status', async () => {
    /** The flow ids each proxy gave its two calls: a successful one, then a failing one. */
    const byProxy: { ok: string; failed: string }[] = [];
    for (const [index, { proxy, client }] of instances.entries()) {
      const ok = tagged({ 'x-proxy': String(index) });
      await callUnary(client, { text: `hello postgres ${index}` }, ok.metadata);
      const failed = tagged({ 'x-proxy': String(index) });
      await assert.rejects(
        callUnary(client, { status: 5, statusMessage: 'no such thing' }, failed.metadata),
        (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
      );
      byProxy.push({
        ok: String((await waitForCallStart(proxy, ok.id)).flowId),
        failed: String((await waitForCallStart(proxy, failed.id)).flowId),
      });
    }
    const mine = `h.x-suite=${process.pid} and h.x-proxy~"^[01]$"`;
    const flows = await waitForStoredFlows(
      postgres.url,
      `${mine} and state=complete`,
      (list) => list.length === 4,
      'the four flows of both proxies',
    );
    assert.deepEqual(
      flows.map((flow) => flow.flowId).sort(),
      byProxy.flatMap(({ ok, failed }) => [ok, failed]).sort(),
    );
    const origins = [...new Set(flows.map((flow) => String(flow.origin)))];
    assert.equal(origins.length, 2, `two origins: ${origins.join(', ')}`);

    for (const { ok, failed } of byProxy) {
      const origin = String(flows.find((flow) => flow.flowId === ok)?.origin);
      const fromOne = await listStoredFlows(postgres.url, `${mine} and origin="${origin}"`);
      assert.deepEqual(fromOne.map((flow) => flow.flowId).sort(), [ok, failed].sort());
      const okOnly = await listStoredFlows(
        postgres.url,
        `${mine} and origin="${origin}" and status=OK`,
      );
      assert.deepEqual(
        okOnly.map((flow) => flow.flowId),
        [ok],
      );
    }

    const notFound = await listStoredFlows(postgres.url, `${mine} and status=NOT_FOUND`);
    assert.deepEqual(
      notFound.map((flow) => flow.flowId).sort(),
      byProxy.map(({ failed }) => failed).sort(),
    );
    assert.equal(new Set(notFound.map((flow) => flow.origin)).size, 2);
    for (const flow of notFound) {
      assert.equal(flow.statusName, 'NOT_FOUND');
      assert.equal(flow.message, 'no such thing');
    }
    assert.equal(
      (await listStoredFlows(postgres.url, `${mine} and msg="hello postgres"`)).length,
      2,
      'msg searches the decoded messages in PostgreSQL too',
    );

    const id8 = String(byProxy[1]?.ok).slice(0, 8);
    const shown = await runStoreCli(store, ['show', id8]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /call\s+grpctap\.test\.Echo\/Unary/);
    assert.match(shown.stdout, /status\s+OK \(0\)/);
    assert.match(shown.stdout, /hello postgres 1/);
    assert.match(shown.stdout, /grpctap\.test\.EchoRequest/);
    assert.match(shown.stdout, /x-proxy: 1/);
    const failedShown = await runStoreCli(store, ['show', String(byProxy[0]?.failed)]);
    assert.match(failedShown.stdout, /status\s+NOT_FOUND \(5\) "no such thing"/);
  });

  test('export ndjson is byte for byte what each proxy recorded for its flows', async () => {
    for (const { proxy, client, recordPath } of instances) {
      const { id, metadata } = tagged();
      await callUnary(client, { text: 'export me', blob: Buffer.from([0, 1, 2, 250]) }, metadata);
      const flowId = String((await waitForCallStart(proxy, id)).flowId);
      await waitForStoredFlows(
        postgres.url,
        `h.x-call-id=${id} and state=complete`,
        (list) => list.length === 1,
        'the exported flow',
      );
      const exported = await runStoreCli(store, ['export', `h.x-call-id=${id}`]);
      assert.equal(exported.code, 0, exported.stderr);
      const recorded = await waitForRecordedLines(recordPath, flowId, 6);
      assert.deepEqual(stdoutLines(exported.stdout), recorded);
    }
  });

  test('a running server stream is visible as active, with its messages so far', async () => {
    const [instance] = instances;
    assert.ok(instance);
    const { id, metadata } = tagged();
    let stream: grpc.ClientReadableStream<unknown> | null = null;
    const call = callServerStream(
      instance.client,
      { text: 'slow', count: 1000, intervalMs: 200 },
      metadata,
      (_reply, each) => {
        stream = each;
      },
    );
    call.catch(() => undefined);
    try {
      const [active] = await waitForStoredFlows(
        postgres.url,
        `h.x-call-id=${id} and state=active`,
        (list) => list.length === 1 && Number(list[0]?.responseMessages) >= 2,
        'the active flow with two messages',
      );
      assert.equal(active?.status, null);
      assert.equal(active?.durationMs, null);
      const shown = await runStoreCli(store, ['show', String(active?.flowId)]);
      assert.match(shown.stdout, /\(gRPC, active\)/);
      assert.match(shown.stdout, /slow#1/);
    } finally {
      (stream as grpc.ClientReadableStream<unknown> | null)?.cancel();
    }
    await waitForStoredFlows(
      postgres.url,
      `h.x-call-id=${id} and state=error`,
      (list) => list.length === 1,
      'the cancelled flow',
    );
  });

  // Last: the pruning proxy deletes every finished flow the tests above stored.
  test('pruning waits for the store lock another process holds, then deletes old flows', async () => {
    const finished = await listStoredFlows(postgres.url, 'state!=active');
    assert.ok(finished.length > 0, 'the tests above left finished flows');
    const holder = new pg.Client({ connectionString: postgres.url });
    await holder.connect();
    let pruner: ProxyProcess | null = null;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [STORE_LOCK_KEY]);
      pruner = await startProxy({ args: ['--store', store, '--store-max-age', '1s'] });
      await waitUntil(async () => {
        const { rows } = await holder.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'grpctap' AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
        );
        return (rows[0] as { n: number }).n === 1;
      }, 'the pruning proxy to wait for the store lock');
      assert.equal(
        (await listStoredFlows(postgres.url, 'state!=active')).length,
        finished.length,
        'nothing is deleted while the lock is held',
      );
      await holder.query('COMMIT');
      await waitForStoredFlows(
        postgres.url,
        'state!=active',
        (list) => list.length === 0,
        'the finished flows to be pruned',
      );
    } finally {
      await holder.end();
      await pruner?.stop();
    }
  });
});
