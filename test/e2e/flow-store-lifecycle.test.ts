import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { callServerStream, callUnary } from '../helpers/grpc-calls.js';
import { listStoredFlows, runStoreCli, waitForStoredFlows } from '../helpers/read-store.js';
import { startProxy } from '../helpers/start-proxy.js';
import { createCallMetadata, startGrpcRig, waitForCallRecords } from './grpc-harness.js';

describe('the flow store beside the live tail, shared files and retention', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-store-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('--filter limits the tail to matching calls while the store keeps every call', async () => {
    const store = join(dir, 'filtered.db');
    const rig = await startGrpcRig({
      proxy: { args: ['--store', store, '--filter', 'method=Unary and status!=OK'] },
    });
    try {
      const ok = createCallMetadata();
      await callUnary(rig.client, { text: 'fine' }, ok.metadata);
      const stream = createCallMetadata();
      await callServerStream(rig.client, { text: 's', count: 2 }, stream.metadata);
      const failing = createCallMetadata();
      await assert.rejects(
        callUnary(rig.client, { status: grpc.status.NOT_FOUND }, failing.metadata),
      );
      // The tail is in order: by the time the failing call's flow record is out, the lines of
      // the two earlier calls would have been written before it had the filter let them through.
      const records = await waitForCallRecords(rig.proxy, failing.id);
      assert.deepEqual(
        records.map((record) => record.event),
        ['start', 'data', 'start', 'end', 'flow'],
      );
      for (const id of [ok.id, stream.id]) {
        assert.ok(!rig.proxy.lines.some((line) => line.includes(id)), `no tail line of ${id}`);
      }
      const stored = await waitForStoredFlows(
        store,
        `h.x-call-id~"^call-${process.pid}-" and state=complete`,
        (flows) => flows.length === 3,
        'all three calls in the store',
      );
      assert.deepEqual(stored.map((flow) => flow.method).sort(), [
        'ServerStream',
        'Unary',
        'Unary',
      ]);
    } finally {
      await rig.close();
    }
  });

  test('two proxies started on one store file both record into it, each under its own origin', async () => {
    const store = join(dir, 'shared.db');
    const first = await startGrpcRig({ proxy: { args: ['--store', store] } });
    const second = await startGrpcRig({ proxy: { args: ['--store', store] } });
    try {
      const calls = await Promise.all(
        [first, second, first, second].map(async (rig) => {
          const { id, metadata } = createCallMetadata({ 'x-shared': String(process.pid) });
          await callUnary(rig.client, { text: id }, metadata);
          return id;
        }),
      );
      const flows = await waitForStoredFlows(
        store,
        `h.x-shared=${process.pid} and state=complete`,
        (list) => list.length === 4,
        'the four calls',
      );
      assert.deepEqual(new Set(flows.map((flow) => flow.origin)).size, 2);
      const origins = [...new Set(flows.map((flow) => String(flow.origin)))];
      for (const origin of origins) {
        assert.equal(
          (await listStoredFlows(store, `h.x-shared=${process.pid} and origin="${origin}"`)).length,
          2,
        );
      }
      assert.equal(calls.length, 4);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('--store-max-age deletes flows once they are older', async () => {
    const store = join(dir, 'aged.db');
    const rig = await startGrpcRig({
      proxy: { args: ['--store', store, '--store-max-age', '1s'] },
    });
    try {
      const { id, metadata } = createCallMetadata();
      await callUnary(rig.client, { text: 'short-lived' }, metadata);
      await waitForStoredFlows(
        store,
        `h.x-call-id=${id}`,
        (list) => list.length === 1,
        'the call, stored',
      );
      await waitForStoredFlows(
        store,
        `h.x-call-id=${id}`,
        (list) => list.length === 0,
        'the call, deleted by age',
      );
    } finally {
      await rig.close();
    }
  });

  test('--store-max-size deletes the oldest flows first and keeps the newest', async () => {
    const store = join(dir, 'sized.db');
    const rig = await startGrpcRig({
      proxy: { args: ['--store', store, '--store-max-size', '1MiB'] },
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const { id, metadata } = createCallMetadata({ 'x-sized': String(process.pid) });
        ids.push(id);
        await callUnary(rig.client, { text: id, blob: Buffer.alloc(20 * 1024, i) }, metadata);
      }
      const last = ids[ids.length - 1] as string;
      const kept = await waitForStoredFlows(
        store,
        `h.x-sized=${process.pid}`,
        (list) =>
          list.length > 0 &&
          list.length < ids.length &&
          list.some((flow) => flow.requestBytes !== 0 && flow.state === 'complete'),
        'the oldest flows deleted',
      );
      const newest = await listStoredFlows(store, `h.x-call-id=${last}`);
      assert.equal(newest.length, 1, 'the newest call is kept');
      const first = await listStoredFlows(store, `h.x-call-id=${ids[0] ?? ''}`);
      assert.equal(first.length, 0, 'the oldest call is gone');
      assert.ok(kept.length >= 3, `kept ${kept.length}`);
      const db = new Database(store, { readonly: true });
      try {
        const pages =
          Number(db.pragma('page_count', { simple: true })) -
          Number(db.pragma('freelist_count', { simple: true }));
        const inUse = pages * Number(db.pragma('page_size', { simple: true }));
        assert.ok(inUse <= 1.5 * 1024 * 1024, `the store uses ${inUse} bytes`);
      } finally {
        db.close();
      }
    } finally {
      await rig.close();
    }
  });
});

describe('plain HTTP exchanges in the store', () => {
  let upstream: http.Server;
  let port: number;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-store-'));
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
        res.end('r'.repeat(100));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as net.AddressInfo).port;
  });
  after(async () => {
    upstream.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an HTTP/1.1 exchange is stored with both header lists and bodies cut at --store-max-body', async () => {
    const store = join(dir, 'http.db');
    const proxy = await startProxy({ args: ['--store', store, '--store-max-body', '10'] });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = http.request(
          {
            host: '127.0.0.1',
            port: proxy.port,
            method: 'POST',
            path: `http://127.0.0.1:${port}/upload?x=1`,
            headers: { host: `127.0.0.1:${port}`, 'x-client': 'curlish' },
          },
          (response) => {
            let text = '';
            response
              .setEncoding('utf8')
              .on('data', (chunk: string) => (text += chunk))
              .on('end', () => resolve(text));
          },
        );
        request.on('error', reject);
        request.end('q'.repeat(40));
      });
      assert.equal(body.length, 100);
      const [flow] = await waitForStoredFlows(
        store,
        'protocol=http and method=POST and h.x-client=curlish and h.x-upstream=yes',
        (list) => list.length === 1,
        'the exchange',
      );
      assert.equal(flow?.status, 201);
      assert.equal(flow?.path, '/upload?x=1');
      const shown = JSON.parse(
        (await runStoreCli(store, ['show', String(flow?.flowId), '--json'])).stdout,
      ) as {
        bodies: { direction: string; size: number; kept: string }[];
      };
      assert.deepEqual(
        shown.bodies.map((each) => [
          each.direction,
          each.size,
          Buffer.from(each.kept, 'base64').toString(),
        ]),
        [
          ['send', 40, 'q'.repeat(10)],
          ['receive', 100, 'r'.repeat(10)],
        ],
      );
      assert.equal((await listStoredFlows(store, 'protocol=http and msg=qqqq')).length, 1);
      assert.equal((await listStoredFlows(store, 'protocol=http and size=140')).length, 1);
    } finally {
      await proxy.stop();
    }
  });
});
