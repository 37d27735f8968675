import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEarlyResetTracker } from '../../src/flow/early-reset-tracker.js';
import { createFlowPipeline } from '../../src/flow/flow-pipeline.js';
import type { FlowItem } from '../../src/flow/flow-sink.js';
import { createObserverHub, type ObserverHub } from '../../src/flow/observer-hub.js';
import type { ConnectionInfo, HeaderList } from '../../src/http2/channel-event.js';

const T0 = Date.UTC(2024, 4, 1);

function connection(id: string, clientAddress = '10.0.0.1'): ConnectionInfo {
  return {
    id,
    clientAddress,
    clientPort: 1000,
    tunnel: null,
    sni: null,
    alpn: null,
    tlsVersion: null,
  };
}

function headers(path: string, grpc = true): HeaderList {
  return [
    [':method', 'POST'],
    [':path', path],
    [':authority', 'svc'],
    ['content-type', grpc ? 'application/grpc' : 'text/plain'],
  ];
}

function createHarness(): { hub: ObserverHub; items: FlowItem[] } {
  const items: FlowItem[] = [];
  const pipeline = createFlowPipeline({
    sinks: [
      {
        name: 'collect',
        needs: { httpBodies: false },
        accept: (i) => items.push(i),
        close: async () => {},
      },
    ],
    decoder: null,
    maxBodyBytes: 0,
    warn: () => {},
  });
  return { hub: createObserverHub({ maxMessageSize: 1024, pipeline, warn: () => {} }), items };
}

let streams = 0;

/** A stream on `conn` that the client resets right after its request headers. */
function resetEarly(
  hub: ObserverHub,
  conn: ConnectionInfo,
  time: number,
  path = '/f.S/A',
  grpc = true,
): void {
  const id = `s${streams++}`;
  const list = headers(path, grpc);
  const observer = hub.observe(id, list, { reset: () => {} }, conn, null);
  observer?.onEvent({
    kind: 'headersReceived',
    streamId: id,
    direction: 'send',
    time,
    headers: list,
    endStream: false,
  });
  observer?.onEvent({
    kind: 'streamReset',
    streamId: id,
    direction: 'send',
    time,
    code: 'CANCEL',
    http2Code: 8,
    reason: 'client reset the stream (CANCEL)',
    side: 'client',
  });
}

const events = (items: FlowItem[]): string[] =>
  items.map((item) => (item.kind === 'grpc' ? item.envelope.kind : item.kind));

describe('early resets', () => {
  it('records streams reset before an answer as full flows below the threshold', () => {
    const { hub, items } = createHarness();
    for (let i = 0; i < 100; i++) resetEarly(hub, connection('a'), T0 + i);
    assert.equal(items.length, 300);
    assert.deepEqual(events(items.slice(0, 3)), ['start', 'end', 'flow']);
    hub.flushEarlyResets(T0 + 5000, true);
    assert.equal(items.length, 300, 'no summary');
  });

  it('summarises further early resets per connection once an address floods, across its connections', () => {
    const { hub, items } = createHarness();
    const a = connection('a');
    const b = connection('b');
    for (let i = 0; i < 60; i++) resetEarly(hub, a, T0 + i);
    for (let i = 0; i < 41; i++) resetEarly(hub, b, T0 + 100 + i);
    assert.equal(items.length, 101 * 3, '101 full flows: the address is now over 100');
    for (let i = 0; i < 30; i++)
      resetEarly(hub, a, T0 + 200 + i, i % 3 === 0 ? '/f.S/B' : '/f.S/A');
    for (let i = 0; i < 20; i++) resetEarly(hub, b, T0 + 300 + i, '/x', false);
    assert.equal(items.length, 303, 'nothing published for the flood');
    hub.flushEarlyResets(T0 + 999, false);
    assert.equal(items.length, 303, 'the batch of a is not over yet');
    hub.flushEarlyResets(T0 + 1400, false);
    const summaries = items
      .slice(303)
      .map((item) => (item.kind === 'earlyResets' ? item.summary : null));
    assert.deepEqual(
      summaries.map((s) => [s?.connection.id, s?.streams, s?.paths, s?.from, s?.until]),
      [
        [
          'a',
          30,
          [
            ['/f.S/B', 10],
            ['/f.S/A', 20],
          ],
          T0 + 200,
          T0 + 229,
        ],
        ['b', 20, [['/x', 20]], T0 + 300, T0 + 319],
      ],
    );
  });

  it('leaves other client addresses alone', () => {
    const { hub, items } = createHarness();
    for (let i = 0; i < 150; i++) resetEarly(hub, connection('a'), T0 + i);
    const before = items.length;
    resetEarly(hub, connection('c', '10.0.0.2'), T0 + 200);
    assert.deepEqual(events(items.slice(before)), ['start', 'end', 'flow']);
  });

  it('publishes a held stream in full, in order, once it is answered', () => {
    const { hub, items } = createHarness();
    const a = connection('a');
    for (let i = 0; i < 150; i++) resetEarly(hub, a, T0 + i);
    const before = items.length;
    const list = headers('/f.S/Ok');
    const observer = hub.observe('answered', list, { reset: () => {} }, a, null);
    const base = { streamId: 'answered', time: T0 + 300 } as const;
    observer?.onEvent({
      kind: 'headersReceived',
      ...base,
      direction: 'send',
      headers: list,
      endStream: false,
    });
    observer?.onEvent({
      kind: 'dataReceived',
      ...base,
      direction: 'send',
      data: Buffer.from([0, 0, 0, 0, 0]),
    });
    assert.equal(items.length, before, 'held while unanswered');
    observer?.onEvent({
      kind: 'headersReceived',
      ...base,
      direction: 'receive',
      headers: [[':status', '200']],
      endStream: false,
    });
    observer?.onEvent({
      kind: 'trailersReceived',
      ...base,
      direction: 'receive',
      headers: [['grpc-status', '0']],
    });
    assert.deepEqual(events(items.slice(before)), ['start', 'data', 'start', 'end', 'flow']);
    assert.deepEqual(
      items
        .slice(before)
        .map((item) =>
          item.kind === 'grpc' && 'sequence' in item.envelope ? item.envelope.sequence : -1,
        ),
      [0, 1, 2, 3, -1],
    );
  });

  it('starts a new batch a window after the first reset of the last one', () => {
    const tracker = createEarlyResetTracker(0, 1000);
    const a = connection('a');
    tracker.count(a, '/p', T0, true);
    tracker.count(a, '/p', T0 + 999, true);
    tracker.count(a, '/p', T0 + 1000, true);
    const due = tracker.takeDue(T0 + 1500, false);
    assert.deepEqual(
      due.map((s) => [s.streams, s.from, s.until]),
      [[2, T0, T0 + 999]],
    );
    assert.equal(tracker.pending, true);
    assert.deepEqual(
      tracker.takeDue(T0 + 1500, true).map((s) => [s.streams, s.from]),
      [[1, T0 + 1000]],
    );
    assert.equal(tracker.pending, false);
  });

  it('stays flooding into the next window and ends after a quiet one', () => {
    const tracker = createEarlyResetTracker(100, 1000);
    const a = connection('a');
    for (let i = 0; i < 101; i++) tracker.count(a, '/p', T0 + i, false);
    assert.equal(tracker.isFlooding('10.0.0.1', T0 + 500), true);
    assert.equal(tracker.isFlooding('10.0.0.1', T0 + 1500), true, 'the previous window flooded');
    assert.equal(tracker.isFlooding('10.0.0.1', T0 + 2500), false);
  });
});
