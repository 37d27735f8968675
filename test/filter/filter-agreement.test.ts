import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { evaluateFilter } from '../../src/filter/evaluate-filter.js';
import { addGrpcItem, exchangeFacts, startFacts } from '../../src/filter/filter-flow-items.js';
import type { FlowFacts } from '../../src/filter/flow-facts.js';
import { parseFilter } from '../../src/filter/parse-filter.js';
import { createFlowCall } from '../../src/flow/flow-call.js';
import { GrpcFlowItem } from '../../src/flow/grpc-flow-item.js';
import type { HttpExchange } from '../../src/flow/http-exchange.js';
import type { GrpcEnvelope, GrpcStart } from '../../src/grpc/grpc-envelope.js';
import type { ConnectionInfo, HeaderList } from '../../src/http2/channel-event.js';
import { openSqliteStore } from '../../src/store/open-sqlite-store.js';
import type { SqlConnection } from '../../src/store/sql-connection.js';
import { createSqlWriter } from '../../src/store/sql-writer.js';
import { createStoreReader, type StoreReader } from '../../src/store/store-reader.js';
import { toStoreOp } from '../../src/store/to-store-op.js';
import { createMessageDecoder } from '../../src/schema/create-message-decoder.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
/** What the proxy decodes with when it has no schemas: every protobuf message gets a view. */
const DECODER = createMessageDecoder({ registry: null });
const ORIGIN = 'test/1';

const SERVICES = ['a.Svc', 'b.Other', ''];
const METHODS = ['Get', 'List', 'Watch'];
const TEXTS = ['hello', 'needle in', 'ab\u00e9', '', '{"k":1}', '\n\x05hello\x10\x07'];
const HEADERS: HeaderList = [
  ['x-a', '1'],
  ['x-a', '2'],
  ['X-B', 'v'],
  ['x-c', 'hello world'],
];

interface GeneratedFlow {
  readonly kind: 'grpc' | 'http';
  readonly service: number;
  readonly method: number;
  readonly headers: readonly boolean[];
  readonly messages: readonly { send: boolean; text: number; compressed: boolean }[];
  /** null: still running. */
  readonly status: number | null;
  readonly reset: boolean;
  readonly startOffset: number;
  readonly duration: number;
  readonly client: number;
  /** JSON messages (`application/grpc+json`) instead of protobuf. */
  readonly json: boolean;
}

const flowArbitrary: fc.Arbitrary<GeneratedFlow> = fc.record({
  kind: fc.constantFrom('grpc' as const, 'grpc' as const, 'http' as const),
  service: fc.nat(SERVICES.length - 1),
  method: fc.nat(METHODS.length - 1),
  headers: fc.array(fc.boolean(), { minLength: HEADERS.length, maxLength: HEADERS.length }),
  messages: fc.array(
    fc.record({ send: fc.boolean(), text: fc.nat(TEXTS.length - 1), compressed: fc.boolean() }),
    { maxLength: 4 },
  ),
  status: fc.constantFrom(0, 5, 14, 404, null),
  reset: fc.boolean(),
  startOffset: fc.integer({ min: 0, max: 3_600_000 }),
  duration: fc.integer({ min: 0, max: 5000 }),
  client: fc.nat(1),
  json: fc.boolean(),
});

const VALUES: Readonly<Record<string, readonly string[]>> = {
  service: [...SERVICES.filter(Boolean), '""'],
  method: [...METHODS, 'GET'],
  path: ['/a.Svc/Get', '/x'],
  authority: ['h1:1', 'h2:2'],
  state: ['active', 'complete', 'error'],
  type: ['unary', 'stream', 'bidirectional'],
  protocol: ['grpc', 'http'],
  client: ['127.0.0.1', '10.0.0.2:2000', '127.0.0.1:1000'],
  origin: [ORIGIN, 'other/2'],
  'h.x-a': ['1', '2', '3'],
  'h.x-b': ['v', 'w'],
  'h.x-c': ['"hello world"'],
  msg: ['needle', 'hello', '"ab\u00e9"', 'k', 'schemaless', 'decoded'],
};
const PATTERNS = ['^a', 'e', 't$', '[0-9]', 'l+o', '^$', '"\\\\."'];
const NUMBERS: Readonly<Record<string, readonly string[]>> = {
  status: ['0', 'OK', 'NOT_FOUND', '14', '404', '500'],
  duration: ['0', '100ms', '2s', '2500'],
  size: ['0', '5', '20', '1KiB'],
  messages: ['0', '1', '2', '4'],
  time: ['-30m', '-2h', '2026-12-07T11:30:00Z'],
};

const comparisonArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(...Object.keys(VALUES))
    .chain((field) =>
      fc.tuple(
        fc.constant(field),
        fc.constantFrom('=', '!='),
        fc.constantFrom(...(VALUES[field] as string[])),
      ),
    )
    .map(([field, op, value]) => `${field}${op}${value}`),
  fc
    .tuple(
      fc.constantFrom(
        'service',
        'method',
        'path',
        'authority',
        'client',
        'origin',
        'h.x-a',
        'h.x-c',
        'msg',
      ),
      fc.constantFrom('~', '!~'),
      fc.constantFrom(...PATTERNS),
    )
    .map(([field, op, value]) => `${field}${op}${value}`),
  fc
    .constantFrom(...Object.keys(NUMBERS))
    .chain((field) =>
      fc.tuple(
        fc.constant(field),
        fc.constantFrom('=', '!=', '<', '<=', '>', '>='),
        fc.constantFrom(...(NUMBERS[field] as string[])),
      ),
    )
    .map(([field, op, value]) => `${field}${op}${value}`),
);

const filterArbitrary: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparisonArbitrary,
    fc
      .tuple(tie('expr'), fc.constantFrom(' and ', ' or ', ' '), tie('expr'))
      .map(([a, op, b]) => `(${a})${op}(${b})`),
    tie('expr').map((inner) => `not (${inner})`),
  ),
})).expr;

const connection = (client: number): ConnectionInfo => ({
  id: `c${client}`,
  clientAddress: client === 0 ? '127.0.0.1' : '10.0.0.2',
  clientPort: client === 0 ? 1000 : 2000,
  tunnel: null,
  sni: null,
  alpn: null,
  tlsVersion: null,
});

function frame(payload: Uint8Array, compressed: boolean): Uint8Array {
  const raw = new Uint8Array(payload.length + 5);
  raw[0] = compressed ? 1 : 0;
  new DataView(raw.buffer).setUint32(1, payload.length);
  raw.set(payload, 5);
  return raw;
}

/** The items a flow would produce, and the facts the live tail folds from them. */
function buildFlow(
  flow: GeneratedFlow,
  index: number,
): { items: (GrpcFlowItem | HttpExchange)[]; facts: FlowFacts } {
  const flowId = `flow-${String(index).padStart(4, '0')}`;
  const time = NOW - flow.startOffset;
  const headers = HEADERS.filter((_, i) => flow.headers[i]);
  const service = SERVICES[flow.service] ?? '';
  const method = METHODS[flow.method] ?? '';
  const finished = flow.status !== null || flow.reset;
  if (flow.kind === 'http') {
    const body = Buffer.from(TEXTS[flow.messages[0]?.text ?? 0] ?? '');
    const exchange: HttpExchange = {
      flowId,
      time,
      httpVersion: '1.1',
      method: method === 'Get' ? 'GET' : method,
      authority: 'h2:2',
      path: '/x',
      status: flow.reset ? null : (flow.status ?? 200),
      requestBytes: body.length,
      responseBytes: 3,
      durationMs: flow.duration,
      informational: [],
      error: flow.reset ? { code: 'CLIENT_RESET', reason: 'gone', side: 'client' } : null,
      connection: connection(flow.client),
      upstream: null,
      requestHeaders: headers,
      responseHeaders: flow.reset ? null : [['x-b', 'w']],
      requestTrailers: [],
      responseTrailers: [],
      requestBody: { bytes: body, size: body.length, truncated: false },
      responseBody: { bytes: Buffer.from('abc'), size: 3, truncated: false },
    };
    return { items: [exchange], facts: exchangeFacts(exchange, ORIGIN) };
  }
  const start: GrpcStart = {
    kind: 'start',
    flowId,
    time,
    sequence: 0,
    direction: 'send',
    service,
    method,
    path: service === '' ? '/x' : `/${service}/${method}`,
    authority: flow.client === 0 ? 'h1:1' : 'h2:2',
    contentType: flow.json ? 'application/grpc+json' : 'application/grpc',
    encoding: null,
    acceptEncoding: null,
    timeout: null,
    metadata: headers,
    headers: [[':path', `/${service}/${method}`], ...headers],
  };
  const call = createFlowCall(start, connection(flow.client), null);
  const envelopes: GrpcEnvelope[] = [start];
  let sequence = 1;
  let requests = 0;
  let responses = 0;
  for (const message of flow.messages) {
    const payload = Buffer.from(TEXTS[message.text] ?? '');
    if (message.send) requests++;
    else responses++;
    envelopes.push({
      kind: 'data',
      flowId,
      time: time + 1,
      sequence: sequence++,
      direction: message.send ? 'send' : 'receive',
      compressed: message.compressed,
      wireLength: payload.length,
      length: payload.length,
      payload,
      raw: frame(payload, message.compressed),
      anomalies: [],
    });
  }
  if (finished) {
    const status = flow.reset ? null : flow.status;
    envelopes.push({
      kind: 'end',
      flowId,
      time: time + flow.duration,
      sequence,
      direction: 'receive',
      status,
      statusName: null,
      message: '',
      statusDetails: null,
      trailers: [['x-b', 'w']],
      synthetic: false,
      raw: null,
      error: flow.reset ? { code: 'CLIENT_RESET', reason: 'gone', side: 'client' } : null,
    });
    envelopes.push({
      kind: 'flow',
      flowId,
      time: time + flow.duration,
      flowType:
        requests > 1 && responses > 1
          ? 'bidirectional'
          : responses > 1 || requests > 1
            ? 'stream'
            : 'unary',
      state: flow.reset ? 'error' : 'complete',
      service,
      method,
      status,
      requestMessages: requests,
      responseMessages: responses,
      durationMs: flow.duration,
    });
  }
  const items = envelopes.map((envelope) => new GrpcFlowItem(call, envelope, DECODER));
  const facts = startFacts(items[0] as GrpcFlowItem, ORIGIN);
  for (const item of items) addGrpcItem(facts, item, true);
  // The store answers for a running call with what it has; the predicate does the same when told
  // the facts are all there are.
  facts.final = true;
  return { items, facts };
}

describe('the filter compiled to SQL and the live-tail predicate', () => {
  let dir: string;
  let connectionToStore: SqlConnection;
  let reader: StoreReader;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-filter-'));
    connectionToStore = await openSqliteStore(join(dir, 'agree.db'), true);
    reader = createStoreReader(connectionToStore, 'agree.db');
  });
  after(async () => {
    await connectionToStore.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('select the same flows for every generated filter and set of flows', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(flowArbitrary, { minLength: 1, maxLength: 12 }),
        fc.array(filterArbitrary, { minLength: 1, maxLength: 8 }),
        async (flows, filters) => {
          round++;
          await connectionToStore.run('DELETE FROM events');
          await connectionToStore.run('DELETE FROM flow_headers');
          await connectionToStore.run('DELETE FROM flows');
          const writer = createSqlWriter(connectionToStore, ORIGIN, {
            maxSizeBytes: null,
            maxAgeMs: null,
          });
          const built = flows.map((flow, index) => buildFlow(flow, round * 100 + index));
          const ops = built.flatMap(({ items }) =>
            items.map((item) =>
              toStoreOp(item instanceof GrpcFlowItem ? item : { kind: 'http', exchange: item }),
            ),
          );
          // Odd rounds store everything in one batch (new rows), even ones three ops at a time
          // (rows updated across batches), as a running proxy does.
          if (round % 2 === 1) await writer.write(ops);
          else for (let i = 0; i < ops.length; i += 3) await writer.write(ops.slice(i, i + 3));
          for (const source of filters) {
            const filter = parseFilter(source, NOW);
            const fromSql = (await reader.listFlows(filter, 1000)).map((row) => row.id).sort();
            const fromPredicate = built
              .filter(({ facts }) => evaluateFilter(filter, facts) === true)
              .map(({ items }) => {
                const first = items[0] as GrpcFlowItem | HttpExchange;
                return first instanceof GrpcFlowItem ? first.envelope.flowId : first.flowId;
              })
              .sort();
            assert.deepEqual(fromSql, fromPredicate, `filter ${source}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('agree on a flow whose only difference is what the filter asks (a check that can fail)', async () => {
    // Guards the property above from passing vacuously: some generated filters select some flows
    // and not others.
    const built = [
      buildFlow(
        {
          kind: 'grpc',
          service: 0,
          method: 0,
          headers: [true, false, false, false],
          messages: [],
          status: 5,
          reset: false,
          startOffset: 0,
          duration: 10,
          client: 0,
          json: false,
        },
        9001,
      ),
    ];
    assert.equal(
      evaluateFilter(parseFilter('status=NOT_FOUND', NOW), built[0]?.facts as FlowFacts),
      true,
    );
    assert.equal(
      evaluateFilter(parseFilter('status=OK', NOW), built[0]?.facts as FlowFacts),
      false,
    );
  });
});
