import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { ECHO_PROTO } from '../helpers/echo-server.js';
import { callServerStream, callUnary } from '../helpers/grpc-calls.js';
import {
  listStoredFlows,
  runStoreCli,
  waitForStoredFlows,
  stdoutLines,
  waitForRecordedLines,
} from '../helpers/read-store.js';
import { runCli } from '../helpers/run-cli.js';
import { fileURLToPath } from 'node:url';

const GRPCURL_STAND_IN = fileURLToPath(new URL('../helpers/grpcurl-stand-in.js', import.meta.url));
import { createCallMetadata, type GrpcRig, startGrpcRig } from './grpc-harness.js';

const SERVICE = 'grpctap.test.Echo';

/** The environment without the rig's `grpc_proxy`: a replay goes straight to the upstream. */
function withoutProxy(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !/^(grpc|https?|all)_proxy$/i.test(name)),
  );
}

interface HarEntry {
  request: { method: string; url: string; postData: { text: string } };
  response: { status: number };
  _grpc: {
    statusName: string;
    trailers: { name: string; value: string }[];
    messages: { decoded: { text: string } }[];
  };
}

describe('the flow store, with real gRPC calls through the proxy', () => {
  let rig: GrpcRig;
  let dir: string;
  let store: string;
  let recordPath: string;
  /** A filter selecting this file's calls: every call carries `x-suite: <pid>`. */
  let mine: string;
  const tagged = (extra: Record<string, string> = {}) =>
    createCallMetadata({ 'x-suite': String(process.pid), ...extra });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-store-'));
    store = join(dir, 'flows.db');
    recordPath = join(dir, 'record.ndjson');
    mine = `h.x-suite=${process.pid}`;
    rig = await startGrpcRig({
      proxy: { args: ['--store', store, '--record', recordPath, '--proto', ECHO_PROTO] },
    });
  });

  after(async () => {
    await rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('prints where it stores flows at start-up', () => {
    assert.match(
      rig.proxy.stderr(),
      new RegExp(`storing flows in ${store.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
    );
  });

  test('a unary call is found by method and status, and shown with headers, messages and trailers', async () => {
    const { id, metadata } = tagged({ authorization: 'Bearer secret-token' });
    await callUnary(rig.client, { text: 'hello store' }, metadata);
    const [flow] = await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (flows) => flows.length === 1,
      'the unary flow',
    );
    assert.ok(flow);
    assert.equal(flow.service, SERVICE);
    assert.equal(flow.method, 'Unary');
    assert.equal(flow.status, 0);
    assert.equal(flow.flowType, 'unary');
    assert.equal(flow.requestMessages, 1);
    assert.equal(flow.responseMessages, 1);
    const byMethod = await listStoredFlows(
      store,
      `${mine} and method=Unary and status=OK and h.x-call-id=${id}`,
    );
    assert.deepEqual(
      byMethod.map((each) => each.flowId),
      [flow.flowId],
    );

    const id8 = String(flow.flowId).slice(0, 8);
    const shown = await runStoreCli(store, ['show', id8]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /call\s+grpctap\.test\.Echo\/Unary/);
    assert.match(shown.stdout, /status\s+OK \(0\)/);
    assert.match(shown.stdout, /hello store/);
    assert.match(shown.stdout, /grpctap\.test\.EchoRequest/);
    assert.match(shown.stdout, /x-call-id: call-/);
    assert.match(shown.stdout, /trailers:\n(?:.*\n)*\s+x-trailer: trailer-value/);
    assert.doesNotMatch(shown.stdout, /secret-token/, 'credentials are masked');
    const json = JSON.parse((await runStoreCli(store, ['show', id8, '--json'])).stdout) as {
      messages: { direction: string; decoded: { text?: string } }[];
      requestHeaders: [string, string][];
    };
    assert.deepEqual(
      json.messages.map((message) => message.direction),
      ['send', 'receive'],
    );
    assert.equal(json.messages[0]?.decoded.text, 'hello store');
    assert.ok(
      json.requestHeaders.some(
        ([name, value]) => name === 'authorization' && value === 'Bearer secret-token',
      ),
    );
  });

  test('a server stream is found by type and message count', async () => {
    const { id, metadata } = tagged();
    await callServerStream(rig.client, { text: 's', count: 3 }, metadata);
    const flows = await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and type=stream and messages=4 and state=complete`,
      (list) => list.length === 1,
      'the stream flow',
    );
    assert.equal(flows[0]?.responseMessages, 3);
    const text = await runStoreCli(store, ['flows', `h.x-call-id=${id}`]);
    assert.match(text.stdout, /^TIME\s+FLOW\s+CALL\s+STATUS\s+DURATION/);
    assert.match(text.stdout, /grpctap\.test\.Echo\/ServerStream\s+OK\s+\S+\s+1\/3\s/);
  });

  test('a failing call is found by status name and excluded by status=OK', async () => {
    const { id, metadata } = tagged();
    await assert.rejects(
      callUnary(rig.client, { status: 5, statusMessage: 'no such thing' }, metadata),
      (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
    );
    const [failed] = await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (list) => list.length === 1,
      'the failed flow',
    );
    assert.equal(failed?.statusName, 'NOT_FOUND');
    assert.equal(failed?.message, 'no such thing');
    assert.equal(
      (await listStoredFlows(store, `h.x-call-id=${id} and status=NOT_FOUND`)).length,
      1,
    );
    assert.equal(
      (await listStoredFlows(store, `h.x-call-id=${id} and status>=5 and status<6`)).length,
      1,
    );
    assert.equal((await listStoredFlows(store, `h.x-call-id=${id} and status=OK`)).length, 0);
    assert.equal((await listStoredFlows(store, `h.x-call-id=${id} and not status!=5`)).length, 1);
    assert.equal(
      (await listStoredFlows(store, `h.x-call-id=${id} and msg="no such thing"`)).length,
      1,
      'the request message carried it',
    );
    const shown = await runStoreCli(store, ['show', String(failed?.flowId)]);
    assert.match(shown.stdout, /status\s+NOT_FOUND \(5\) "no such thing"/);
  });

  test('a running call is visible as active, with each message as it completes', async () => {
    const { id, metadata } = tagged();
    let stream: grpc.ClientReadableStream<unknown> | null = null;
    const call = callServerStream(
      rig.client,
      { text: 'slow', count: 1000, intervalMs: 200 },
      metadata,
      (_reply, each) => {
        stream = each;
      },
    );
    call.catch(() => undefined);
    try {
      const [active] = await waitForStoredFlows(
        store,
        `h.x-call-id=${id} and state=active`,
        (list) => list.length === 1 && Number(list[0]?.responseMessages) >= 2,
        'the active flow with two messages',
      );
      assert.equal(active?.status, null);
      assert.equal(active?.durationMs, null);
      const shown = await runStoreCli(store, ['show', String(active?.flowId)]);
      assert.match(shown.stdout, /\(gRPC, active\)/);
      assert.match(shown.stdout, /still running/);
      assert.match(shown.stdout, /slow#1/);
    } finally {
      (stream as grpc.ClientReadableStream<unknown> | null)?.cancel();
    }
    await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=error and status=CANCELLED or h.x-call-id=${id} and state=error`,
      (list) => list.length === 1,
      'the cancelled flow',
    );
  });

  test('a filter with msg finds the call whose decoded message holds the text', async () => {
    const { id, metadata } = tagged();
    await callUnary(rig.client, { text: 'needle-7781 in the payload' }, metadata);
    await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (list) => list.length === 1,
      'the flow',
    );
    assert.equal((await listStoredFlows(store, `${mine} and msg="needle-7781"`)).length, 1);
    assert.equal((await listStoredFlows(store, `${mine} and msg~"needle-[0-9]{4} in"`)).length, 1);
    assert.equal((await listStoredFlows(store, `${mine} and msg="needle-0000"`)).length, 0);
  });

  test('export ndjson is byte for byte what --record wrote for those flows', async () => {
    const { id, metadata } = tagged();
    await callUnary(rig.client, { text: 'export me', blob: Buffer.from([0, 1, 2, 250]) }, metadata);
    const [flow] = await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (list) => list.length === 1,
      'the flow',
    );
    const flowId = String(flow?.flowId);
    const exported = await runStoreCli(store, [
      'export',
      `h.x-call-id=${id}`,
      '--format',
      'ndjson',
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const recorded = await waitForRecordedLines(recordPath, flowId, 6);
    assert.deepEqual(stdoutLines(exported.stdout), recorded);
    const out = join(dir, 'export.ndjson');
    const toFile = await runStoreCli(store, ['export', `h.x-call-id=${id}`, '-o', out]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.equal(await readFile(out, 'utf8'), exported.stdout);
  });

  test('export har gives a HAR 1.2 log with the gRPC messages and trailers in extension fields', async () => {
    const { id, metadata } = tagged();
    await callUnary(rig.client, { text: 'har' }, metadata);
    await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (list) => list.length === 1,
      'the flow',
    );
    const run = await runStoreCli(store, ['export', `h.x-call-id=${id}`, '--format', 'har']);
    const har = JSON.parse(run.stdout) as {
      log: { version: string; entries: HarEntry[] };
    };
    assert.equal(har.log.version, '1.2');
    assert.equal(har.log.entries.length, 1);
    const entry = har.log.entries[0] as HarEntry;
    assert.equal(entry.request.method, 'POST');
    assert.equal(entry.request.url, `https://localhost:${rig.server.port}/${SERVICE}/Unary`);
    assert.equal(entry.response.status, 200);
    assert.equal(entry._grpc.statusName, 'OK');
    assert.deepEqual(
      entry._grpc.trailers.find((h) => h.name === 'x-trailer'),
      { name: 'x-trailer', value: 'trailer-value' },
    );
    assert.equal(entry._grpc.messages.length, 2);
    assert.equal(entry._grpc.messages[0]?.decoded.text, 'har');
    // The request body is the length-prefixed message on the wire.
    const body = Buffer.from(entry.request.postData.text, 'base64');
    assert.equal(body[0], 0);
    assert.equal(body.readUInt32BE(1), body.length - 5);
  });

  test('export grpcurl gives one shell command per call, with its metadata and messages', async () => {
    const { id, metadata } = tagged({ 'x-replay': 'yes' });
    await callUnary(rig.client, { text: "it's here" }, metadata);
    await waitForStoredFlows(
      store,
      `h.x-call-id=${id} and state=complete`,
      (list) => list.length === 1,
      'the flow',
    );
    const run = await runStoreCli(store, ['export', `h.x-call-id=${id}`, '--format', 'grpcurl']);
    assert.equal(run.code, 0, run.stderr);
    const script = run.stdout;
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(
      script,
      new RegExp(
        `^grpcurl .*-H 'x-replay: yes' .*-d @ localhost:${rig.server.port} ${SERVICE.replaceAll('.', '\\.')}/Unary <<'GRPCTAP_MESSAGES'$`,
        'm',
      ),
    );
    const body = /<<'GRPCTAP_MESSAGES'\n([\s\S]*?)GRPCTAP_MESSAGES\n/.exec(script)?.[1] ?? '';
    assert.equal((JSON.parse(body) as { text: string }).text, "it's here");
    // The script is valid shell, and run by sh (grpcurl replaced by a stand-in that takes the
    // same arguments) it repeats the call against the upstream.
    await promisify(execFile)('sh', ['-n', '-c', script]);
    const file = join(dir, 'replay.sh');
    await writeFile(file, script);
    const replay = await promisify(execFile)(
      'sh',
      ['-c', `grpcurl() { "${process.execPath}" "${GRPCURL_STAND_IN}" "$@"; }; . "${file}"`],
      {
        env: {
          ...withoutProxy(process.env),
          GRPCURL_PROTO: ECHO_PROTO,
          GRPCURL_CACERT: rig.pki.caPath,
        },
      },
    );
    assert.equal((JSON.parse(replay.stdout) as { text: string }).text, "it's here");
    const replayed = await waitForStoredFlows(
      store,
      `h.x-replay=yes and state=complete`,
      (list) => list.length >= 1,
      'the call',
    );
    assert.equal(
      replayed.length,
      1,
      'the replay went to the upstream directly, not through the proxy',
    );
  });

  test('flows --follow prints calls as they finish, until interrupted', async () => {
    const { metadata } = tagged({ 'x-follow': 'yes' });
    let following: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      following = resolve;
    });
    const follow = runCli(['flows', `${mine} and h.x-follow=yes`, '--follow', '--store', store], {
      onStderr: (text) => {
        if (text.includes('following')) following();
      },
      terminateOnStdout: /Echo\/Unary\s+NOT_FOUND/,
      killAfterMs: 60_000,
    });
    await ready;
    // Only now is there a matching call: the follower can have seen it only by following.
    await callUnary(rig.client, { status: 5 }, metadata).catch(() => undefined);
    const run = await follow;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.killed, false);
    assert.match(run.stdout, /^TIME\s+FLOW\s+CALL.*\n.*Echo\/Unary\s+NOT_FOUND/);
  });

  test('a bad filter is a usage error naming its column', async () => {
    const run = await runStoreCli(store, ['flows', 'status=OK and (method=X']);
    assert.equal(run.code, 2);
    assert.equal(
      run.stderr,
      'grpctap: filter: column 24: expected ")" to close the "(" at column 15, found the end\n',
    );
    const unknown = await runStoreCli(store, ['flows', 'colour=red']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^grpctap: filter: column 1: unknown field "colour"/);
  });

  test('show with an unknown or ambiguous id says so in one line', async () => {
    const none = await runStoreCli(store, ['show', 'ffffffffzz']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^grpctap: no flow "ffffffffzz" in .*flows\.db\n$/);
    const several = await runStoreCli(store, ['show', '']);
    assert.equal(several.code, 2, 'an empty id is a usage error');
  });
});

describe('stores that are not grpctap stores', () => {
  test('the proxy and the commands refuse a database with other tables, and a file that is no database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grpctap-store-'));
    try {
      const foreign = join(dir, 'other.db');
      const db = new Database(foreign);
      db.exec('CREATE TABLE customers (id INTEGER)');
      db.close();
      const proxy = await runCli([
        '--listen',
        '127.0.0.1:0',
        '--certs-dir',
        join(dir, 'certs'),
        '--store',
        foreign,
      ]);
      assert.equal(proxy.code, 1);
      assert.equal(
        proxy.stderr,
        `grpctap: ${foreign} is not a grpctap store (it holds other data); leave it be\n`,
      );
      const text = join(dir, 'notes.txt');
      await writeFile(
        text,
        'just some notes, long enough to be more than a header of a database file\n'.repeat(20),
      );
      const flows = await runStoreCli(text, ['flows']);
      assert.equal(flows.code, 1);
      assert.equal(
        flows.stderr,
        `grpctap: ${text} is not a grpctap store (not an SQLite database)\n`,
      );
      const missing = await runStoreCli(join(dir, 'nothing.db'), ['flows']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no store at .*nothing\.db/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
