#!/usr/bin/env node
/**
 * How fast `grpctap flows` answers over a big store: builds an SQLite store of 1 million messages
 * (100,000 calls of 10 messages, 50 methods, 5 calls in 14 failing) with the store's own
 * writer, then times filters on method and status (the indexed fields), and a few others, both
 * in-process (the query) and as the real command (node start-up included). Numbers go to
 * docs/performance.md, "Flow store".
 *
 * Usage: npm run build && node bench/store-query.mjs [--flows N] [--messages-per-flow M] [--db FILE]
 */
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const dist = (file) => path.join(root, 'dist', 'src', file);
const { openSqliteStore } = await import(dist('store/open-sqlite-store.js'));
const { createSqlWriter } = await import(dist('store/sql-writer.js'));
const { createStoreReader } = await import(dist('store/store-reader.js'));
const { parseFilter } = await import(dist('filter/parse-filter.js'));

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '100000' },
    'messages-per-flow': { type: 'string', default: '10' },
    db: { type: 'string', default: '/dev/shm/grpctap-store-query.db' },
  },
});
const flows = Number(values.flows);
const perFlow = Number(values['messages-per-flow']);
const db = values.db;
for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });

const STATUSES = [0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 14, 4, 13, 2];
const started = performance.now();
const connection = await openSqliteStore(db, true);
const writer = createSqlWriter(connection, 'bench/1', { maxSizeBytes: null, maxAgeMs: null });
const payload = new Uint8Array(64).fill(0x2a);
const t0 = Date.now() - flows * 10;
let ops = [];
for (let i = 0; i < flows; i++) {
  const flowId = `f${String(i).padStart(8, '0')}-bench`;
  const service = `bench.v1.Service${i % 5}`;
  const method = `Method${i % 50}`;
  const time = t0 + i * 10;
  const headers = [
    [':method', 'POST'],
    [':path', `/${service}/${method}`],
    ['content-type', 'application/grpc'],
    ['x-request-id', `req-${i}`],
  ];
  ops.push({
    op: 'grpcStart',
    flowId,
    time,
    service,
    method,
    path: `/${service}/${method}`,
    authority: 'api:443',
    contentType: 'application/grpc',
    timeout: null,
    clientAddress: '127.0.0.1',
    clientPort: 40000 + (i % 1000),
    connection: '{}',
    headers,
    line: '{}',
  });
  for (let m = 0; m < perFlow; m++) {
    ops.push({
      op: 'grpcData',
      flowId,
      time: time + m,
      sequence: m + 1,
      direction: m === 0 ? 'send' : 'receive',
      compressed: false,
      wireLength: payload.length,
      length: payload.length,
      payload,
      raw: null,
      anomalies: null,
      view: null,
      protobuf: true,
    });
  }
  const status = STATUSES[i % STATUSES.length];
  ops.push({
    op: 'grpcEnd',
    flowId,
    time: time + perFlow,
    sequence: perFlow + 1,
    direction: 'receive',
    status,
    statusName: null,
    message: '',
    trailers: [],
    error: null,
    line: '{}',
  });
  ops.push({
    op: 'grpcFlow',
    flowId,
    time: time + perFlow,
    flowType: 'stream',
    state: 'complete',
    status,
    requestMessages: 1,
    responseMessages: perFlow - 1,
    durationMs: (i % 300) * 7,
    connection: '{}',
    line: '{}',
  });
  if (ops.length >= 20_000) {
    await writer.write(ops);
    ops = [];
  }
}
if (ops.length > 0) await writer.write(ops);
const built = (performance.now() - started) / 1000;
await connection.close();
const size =
  statSync(db).size +
  (() => {
    try {
      return statSync(`${db}-wal`).size;
    } catch {
      return 0;
    }
  })();

const reader = createStoreReader(await openSqliteStore(db, false), db);
const queries = [
  'method=Method7 and status=NOT_FOUND',
  'method=Method7 and status!=OK',
  'service=bench.v1.Service3 and status=UNAVAILABLE',
  'status=DEADLINE_EXCEEDED',
  'duration>2s and method=Method1',
  'h.x-request-id=req-99999',
];
const lines = [];
for (const query of queries) {
  const filter = parseFilter(query);
  const times = [];
  let count = 0;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    count = (await reader.listFlows(filter, 50)).length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const cliStart = performance.now();
  execFileSync(
    process.execPath,
    [path.join(root, 'dist/src/cli/main.js'), 'flows', query, '--store', db],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const cli = performance.now() - cliStart;
  lines.push(`| \`${query}\` | ${count} | ${times[2].toFixed(1)} ms | ${cli.toFixed(0)} ms |`);
}
await reader.close();
process.stdout.write(
  [
    `Store: ${flows.toLocaleString('en')} calls × ${perFlow} messages = ${(flows * perFlow).toLocaleString('en')} messages, ${(size / 1048576).toFixed(0)} MiB, built in ${built.toFixed(1)} s (${((flows * perFlow) / built / 1000).toFixed(0)}k messages/s through the store's writer)`,
    '',
    '| filter | flows shown (limit 50) | query (median of 5) | `grpctap flows` (process, start-up included) |',
    '|---|---|---|---|',
    ...lines,
    '',
  ].join('\n'),
);
