import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import type { EchoReply } from '../helpers/echo-server.js';
import { callBidi, callClientStream, callServerStream, callUnary } from '../helpers/grpc-calls.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import {
  assertWellFormedFlow,
  createCallMetadata,
  type GrpcRig,
  getMethod,
  type JsonRecord,
  only,
  recordsOfFlow,
  startGrpcRig,
  waitForCallRecords,
  waitForCallStart,
} from './grpc-harness.js';
import { waitUntil } from '../helpers/wait.js';

describe('the --record file', () => {
  let rig: GrpcRig;
  let dir: string;
  let recordPath: string;
  /** The file's records once the proxy has exited, and the flow cut by the shutdown. */
  let recorded: JsonRecord[] = [];
  let cutFlowId: unknown;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-record-'));
    recordPath = join(dir, 'calls.ndjson');
    rig = await startGrpcRig({ proxy: { args: ['--record', recordPath] } });
  });

  after(async () => {
    await rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('holds the same lines as stdout, in order, after SIGTERM', async () => {
    const finished: string[] = [];
    const run = async (call: (metadata: grpc.Metadata) => Promise<unknown>): Promise<void> => {
      const { id, metadata } = createCallMetadata();
      await call(metadata).catch(() => {});
      finished.push(id);
    };
    await run((m) => callUnary(rig.client, { text: 'one' }, m));
    await run((m) => callServerStream(rig.client, { text: 's', count: 3, size: 100 }, m));
    await run((m) => callClientStream(rig.client, [{ text: 'a' }, { text: 'b' }], m));
    await run((m) => callBidi(rig.client, [{ text: 'x' }, { text: 'y' }], m));
    await run((m) => callUnary(rig.client, { text: 'e', status: 5, statusMessage: 'gone' }, m));
    await Promise.all([
      run((m) => callUnary(rig.client, { text: 'concurrent-1', blob: Buffer.alloc(70_000, 1) }, m)),
      run((m) => callUnary(rig.client, { text: 'concurrent-2', blob: Buffer.alloc(70_000, 2) }, m)),
    ]);
    for (const id of finished) await waitForCallRecords(rig.proxy, id);

    // A call still open at SIGTERM: its records are flushed on the way out too.
    const open = createCallMetadata();
    const held = getMethod(rig.client, 'ServerStream')(
      { text: 'held', count: 1, holdOpen: true },
      open.metadata,
    ) as grpc.ClientReadableStream<EchoReply>;
    held.on('error', () => {});
    await new Promise<void>((resolve) => held.once('data', () => resolve()));
    cutFlowId = (await waitForCallStart(rig.proxy, open.id)).flowId;

    assert.equal(await rig.proxy.stop('SIGTERM'), 0, 'SIGTERM exits 0');
    const stdout = rig.proxy.child.stdout;
    if (stdout && !stdout.readableEnded) await once(stdout, 'end');

    const stdoutLines = rig.proxy.lines.filter((line) => line !== '');
    const fileText = await readFile(recordPath, 'utf8');
    assert.ok(fileText.endsWith('\n'), 'the file ends with a complete line');
    const fileLines = fileText.slice(0, -1).split('\n');
    assert.ok(fileLines.length >= 7 * 5, `records of every call (${fileLines.length} lines)`);
    assert.deepEqual(fileLines, stdoutLines);
    recorded = fileLines.map((line) => JSON.parse(line) as JsonRecord);
    for (const record of recorded) assertValidRecord(record);
    const flows = new Set(recorded.map((record) => record.flowId));
    const summaries = recorded.filter((record) => record.event === 'flow');
    assert.equal(summaries.length, flows.size, 'every flow, the open one included, is summarised');
  });

  test('ends a call cut by the shutdown with an error on the proxy side', () => {
    const cut = recordsOfFlow(recorded, cutFlowId);
    assertWellFormedFlow(cut);
    const end = only(cut, 'end');
    assert.equal(end.status, null);
    // The client was still waiting: grpctap closed the call because it was shutting down, so
    // blaming the client (who did nothing) would mislead whoever reads the record.
    assert.equal((end.error as JsonRecord | null)?.side, 'proxy', JSON.stringify(end.error));
    assert.equal(only(cut, 'flow').state, 'error');
  });
});

describe('the text tail', () => {
  let rig: GrpcRig;

  before(async () => {
    rig = await startGrpcRig({ proxy: { args: ['--output', 'text'] } });
  });

  after(async () => {
    await rig.close();
  });

  test('shows one plain line per envelope with the call, arrows and status names', async () => {
    await callUnary(rig.client, { text: 'hello' }, createCallMetadata().metadata);
    await callUnary(rig.client, { text: 'x', status: 9, statusMessage: 'nope' }).catch(() => {});
    await callServerStream(rig.client, { text: 's', count: 2 });
    await waitUntil(
      () => rig.proxy.lines.some((line) => /flow grpctap\.test\.Echo\/ServerStream /.test(line)),
      'the server-stream flow line',
    );
    const lines = rig.proxy.lines.filter((line) => line !== '');
    for (const line of lines) {
      assert.ok(!line.includes('\x1b'), `no ANSI escapes: ${JSON.stringify(line)}`);
      assert.ok(!line.startsWith('{'), 'no JSON on a text tail');
    }
    const unaryLines = lines.filter((line) => line.includes('grpctap.test.Echo/Unary'));
    assert.equal(unaryLines.length, 6 + 5, 'unary OK: 6 lines; unary error: 5 lines');
    const expectations: [string, RegExp][] = [
      ['request start', /#0 → grpctap\.test\.Echo\/Unary start authority=localhost:\d+/],
      ['request message', /#1 → grpctap\.test\.Echo\/Unary data 7B .*hello/],
      ['response start', /#2 ← grpctap\.test\.Echo\/Unary start http=200/],
      ['response message', /#3 ← grpctap\.test\.Echo\/Unary data /],
      ['OK end', /#4 ← grpctap\.test\.Echo\/Unary end OK/],
      ['OK flow', /flow grpctap\.test\.Echo\/Unary unary complete OK req=1 resp=1 \d+ms$/],
      ['error end', /← grpctap\.test\.Echo\/Unary end FAILED_PRECONDITION\(9\) "nope"/],
      ['error flow', /flow grpctap\.test\.Echo\/Unary unary complete FAILED_PRECONDITION/],
      ['stream flow', /flow grpctap\.test\.Echo\/ServerStream stream complete OK req=1 resp=2/],
    ];
    for (const [what, pattern] of expectations) {
      assert.ok(
        lines.some((line) => pattern.test(line)),
        `a ${what} line matching ${pattern}\n${lines.join('\n')}`,
      );
    }
    for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} [0-9a-zA-Z-]{1,8} /);
  });
});
