import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFilter } from '../../src/filter/parse-filter.js';
import { createFlowCall } from '../../src/flow/flow-call.js';
import { GrpcFlowItem } from '../../src/flow/grpc-flow-item.js';
import type { GrpcStart } from '../../src/grpc/grpc-envelope.js';
import { openStoreReader } from '../../src/store/store-reader.js';
import { createStoreSink } from '../../src/store/store-sink.js';

const CONNECTION = {
  id: 'c1',
  clientAddress: '127.0.0.1',
  clientPort: 5000,
  tunnel: null,
  sni: null,
  alpn: null,
  tlsVersion: null,
};

function start(flowId: string): GrpcStart {
  return {
    kind: 'start',
    flowId,
    time: Date.now(),
    sequence: 0,
    direction: 'send',
    service: 'a.S',
    method: 'Flood',
    path: '/a.S/Flood',
    authority: 'h:1',
    contentType: 'application/grpc',
    encoding: null,
    acceptEncoding: null,
    timeout: null,
    metadata: [],
    headers: [[':path', '/a.S/Flood']],
  };
}

describe('the store sink', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-sink-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('past its queue cap drops messages, keeps the flow whole and says exactly how many it lost', async () => {
    const location = join(dir, 'capped.db');
    const logs: string[] = [];
    const sink = await createStoreSink({
      location,
      origin: 'test/1',
      limits: { maxSizeBytes: null, maxAgeMs: null },
      maxQueuedBytes: 256 * 1024,
      log: (line) => logs.push(line),
    });
    const opening = start('flood-1');
    const call = createFlowCall(opening, CONNECTION, null);
    const item = (envelope: GrpcFlowItem['envelope']) => new GrpcFlowItem(call, envelope, null);
    sink.accept(item(opening));
    const payload = Buffer.alloc(16 * 1024, 7);
    const raw = Buffer.concat([Buffer.from([0, 0, 0, 0x40, 0]), payload]);
    const sent = 200;
    // All in one turn: the store thread cannot have committed anything in between.
    for (let sequence = 1; sequence <= sent; sequence++) {
      sink.accept(
        item({
          kind: 'data',
          flowId: 'flood-1',
          time: Date.now(),
          sequence,
          direction: 'send',
          compressed: false,
          wireLength: payload.length,
          length: payload.length,
          payload,
          raw,
          anomalies: [],
        }),
      );
    }
    sink.accept(
      item({
        kind: 'flow',
        flowId: 'flood-1',
        time: Date.now(),
        flowType: 'stream',
        state: 'complete',
        service: 'a.S',
        method: 'Flood',
        status: 0,
        requestMessages: sent,
        responseMessages: 0,
        durationMs: 5,
      }),
    );
    await sink.close();
    const reader = await openStoreReader(location);
    try {
      const [flow] = await reader.listFlows(parseFilter('method=Flood'), 10);
      assert.ok(flow);
      assert.equal(flow.state, 'complete');
      const events = await reader.eventsOf(flow.id);
      const stored = events.filter((event) => event.kind === 'data').length;
      assert.ok(stored > 0 && stored < sent, `stored ${stored} of ${sent}`);
      assert.equal(flow.lost_events, sent - stored);
      const gaps: Record<string, unknown>[] = [];
      for await (const event of reader.exportEvents(parseFilter(''))) {
        if (event.kind === 'gap')
          gaps.push(JSON.parse(event.line ?? '{}') as Record<string, unknown>);
      }
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0]?.sink, 'store');
      assert.equal(gaps[0]?.lostRecords, sent - stored);
      assert.ok(Number(gaps[0]?.lostBytes) >= (sent - stored) * payload.length);
      assert.equal(await reader.countGaps(), 1);
    } finally {
      await reader.close();
    }
    assert.deepEqual(logs, []);
  });

  test('a store that cannot be opened fails the start with its one-line reason', async () => {
    await assert.rejects(
      createStoreSink({
        location: join(dir, 'no-such-dir', 'x.db'),
        origin: 'test/1',
        limits: { maxSizeBytes: null, maxAgeMs: null },
        maxQueuedBytes: 1024,
        log: () => undefined,
      }),
      (error: Error) =>
        error.name === 'StoreError' && /cannot open the store .*x\.db/.test(error.message),
    );
  });
});
