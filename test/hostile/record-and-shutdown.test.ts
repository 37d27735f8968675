/**
 * The record file failing under the proxy (a full disk, an unwritable or missing directory), and
 * SIGTERM in the middle of 100 open calls: forwarding never depends on the record file, and what
 * was recorded is flushed before exit.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { EchoReply } from '../helpers/echo-server.js';
import { EchoClient, startEchoServer } from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import { runCli } from '../helpers/run-cli.js';
import { startProxy } from '../helpers/start-proxy.js';
import { createTestPki } from '../helpers/test-pki.js';
import { readRecordFile } from './hostile-harness.js';
import { waitUntil } from '../helpers/wait.js';

type StreamMethod = (request: object) => grpc.ClientReadableStream<EchoReply>;

/** Runs the proxy CLI with `args` until it exits, stopping it with SIGTERM once it listens. */
async function runToExit(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  const certs = await mkdtemp(join(tmpdir(), 'grpctap-certs-'));
  try {
    return await runCli(['--listen', '127.0.0.1:0', '--certs-dir', certs, ...args], {
      terminateOn: /listening on/,
    });
  } finally {
    await rm(certs, { recursive: true, force: true });
  }
}

describe('record file faults', () => {
  test('a full disk (--record /dev/full) is reported once and forwarding goes on', async () => {
    const pki = await createTestPki();
    const echo = await startEchoServer(pki.localhost);
    const proxy = await startProxy({
      args: ['--upstream-ca', pki.caPath, '--record', '/dev/full'],
    });
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(
      `localhost:${echo.port}`,
      grpc.credentials.createSsl(await readFile(proxy.caPath)),
    );
    try {
      for (let index = 0; index < 20; index++) {
        const reply = await callUnary(client, { text: `call ${index}`, blob: Buffer.alloc(4096) });
        assert.equal(reply.value.text, `call ${index}`);
      }
      await proxy.waitForStderr(
        /--record \/dev\/full: ENOSPC: no space left on device, write; recording stopped, forwarding goes on/,
      );
      await waitUntil(
        () => proxy.records().filter((r) => r.event === 'flow').length === 20,
        'stdout to carry every flow record',
      );
      const mentions = proxy.stderr().match(/--record \/dev\/full/g) ?? [];
      assert.equal(mentions.length, 1, 'the error is reported once');
    } finally {
      client.close();
      assert.equal(await proxy.stop(), 0);
      await echo.close();
      await pki.remove();
    }
  });

  test('a record file in a missing or unwritable directory stops start-up with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grpctap-record-'));
    try {
      const missing = join(dir, 'no', 'such', 'dir', 'records.ndjson');
      const cases = [
        { path: missing, error: /ENOENT: no such file or directory/ },
        { path: '/sys/grpctap-records.ndjson', error: /EACCES: permission denied|EROFS|EPERM/ },
      ];
      for (const { path, error } of cases) {
        const { code, stderr } = await runToExit(['--record', path]);
        assert.equal(code, 1, stderr);
        assert.match(
          stderr,
          new RegExp(`--record ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `),
        );
        assert.match(stderr, error);
        assert.doesNotMatch(stderr, /listening on/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shutdown', () => {
  test('SIGTERM during 100 open calls flushes a start and an end record for each, exit 0', async () => {
    const pki = await createTestPki();
    const echo = await startEchoServer(pki.localhost);
    const dir = await mkdtemp(join(tmpdir(), 'grpctap-shutdown-'));
    const recordPath = join(dir, 'records.ndjson');
    const proxy = await startProxy({
      args: ['--upstream-ca', pki.caPath, '--record', recordPath, '--output', 'text'],
    });
    process.env.grpc_proxy = proxy.url;
    const client = new EchoClient(
      `localhost:${echo.port}`,
      grpc.credentials.createSsl(await readFile(proxy.caPath)),
    );
    try {
      const serverStream = (client as unknown as Record<string, StreamMethod>).ServerStream;
      const calls = Array.from({ length: 100 }, (_unused, index) => {
        const call = serverStream?.call(client, {
          text: `open-${index}`,
          count: 1,
          holdOpen: true,
        });
        assert.ok(call);
        call.on('error', () => {});
        return new Promise<void>((resolve) => call.once('data', () => resolve()));
      });
      await Promise.all(calls);
      await waitUntil(
        () =>
          readRecordFile(recordPath).filter((r) => r.event === 'data' && r.direction === 'receive')
            .length === 100,
        'every call to have its first response recorded',
      );
      assert.equal(await proxy.stop('SIGTERM'), 0);
      const records = readRecordFile(recordPath);
      const starts = records.filter((r) => r.event === 'start' && r.direction === 'send');
      assert.equal(starts.length, 100);
      for (const start of starts) {
        const flow = records.filter((r) => r.flowId === start.flowId);
        const end = flow.find((r) => r.event === 'end');
        assert.deepEqual(end?.error, {
          code: 'PROXY_SHUTDOWN',
          reason: 'grpctap is shutting down',
          side: 'proxy',
        });
        assert.equal(flow.at(-1)?.event, 'flow');
      }
      assert.match(proxy.stderr(), /SIGTERM: flushing records and exiting/);
    } finally {
      client.close();
      await echo.close();
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
