/**
 * The set-up every interop suite shares: both TestService servers over TLS with their own PKI,
 * the real proxy CLI in forward mode (CONNECT + TLS) and in `--reverse` mode in front of each
 * server, all with one CA, and the lookup of one call's records by its `x-call-id` tag.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProxyProcess, startProxy } from '../helpers/start-proxy.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import {
  assertWellFormedFlow,
  CALL_ID_HEADER,
  hasPair,
  type JsonRecord,
  recordsOfFlow,
  waitForCallRecords,
} from '../e2e/grpc-harness.js';
import type { InteropCase } from './interop-cases.js';
import { startGrpcJsTestService, type TestServiceServer } from './grpc-js-test-service.js';
import { writeDescriptorSet } from './interop-messages.js';
import { startWireTestService } from './wire-test-service.js';

/** How a client reaches a server: a CONNECT tunnel through the forward proxy, or `--reverse`. */
export type Route = 'connect' | 'reverse';
/** Which TestService serves a case: grpc-js, or the node:http2 one for compression. */
export type ServerKind = 'grpc-js' | 'wire';

export const ROUTES: readonly Route[] = ['connect', 'reverse'];

/** Where a client connects for one route and server. */
export interface Endpoint {
  /** The proxy process whose records show the calls. */
  readonly proxy: ProxyProcess;
  /** `host:port` to dial: the server itself (through `grpc_proxy`) or the reverse proxy. */
  readonly target: string;
  /** The TLS name to verify (`localhost`, which the proxy mints a leaf for). */
  readonly serverName: string;
  /** For CONNECT: the proxy URL to put in `grpc_proxy`; null for `--reverse`. */
  readonly proxyUrl: string | null;
}

export interface InteropRig {
  /** The proxies' CA (PEM) and its path, for clients. */
  readonly caPem: string;
  readonly caPath: string;
  /** The fixture as a FileDescriptorSet file, for the Python client. */
  readonly descriptorSetPath: string;
  endpoint(route: Route, server: ServerKind): Endpoint;
  close(): Promise<void>;
}

export async function startInteropRig(): Promise<InteropRig> {
  const pki: TestPki = await createTestPki();
  const dir = await mkdtemp(join(tmpdir(), 'grpctap-interop-'));
  const certsDir = join(dir, 'certs');
  const descriptorSetPath = await writeDescriptorSet(dir);
  const servers: Record<ServerKind, TestServiceServer> = {
    'grpc-js': await startGrpcJsTestService(pki.localhost),
    wire: await startWireTestService(pki.localhost),
  };
  const upstreamCa = ['--upstream-ca', pki.caPath];
  // One after the other: the first creates the CA in `certsDir`, the others load it.
  const forward = await startProxy({ certsDir, args: upstreamCa });
  const reverse: Record<ServerKind, ProxyProcess> = {
    'grpc-js': await startProxy({
      certsDir,
      args: ['--reverse', `https://localhost:${servers['grpc-js'].port}`, ...upstreamCa],
    }),
    wire: await startProxy({
      certsDir,
      args: ['--reverse', `https://localhost:${servers.wire.port}`, ...upstreamCa],
    }),
  };
  return {
    caPem: await readFile(forward.caPath, 'utf8'),
    caPath: forward.caPath,
    descriptorSetPath,
    endpoint(route, server) {
      return route === 'connect'
        ? {
            proxy: forward,
            target: `localhost:${servers[server].port}`,
            serverName: 'localhost',
            proxyUrl: forward.url,
          }
        : {
            proxy: reverse[server],
            target: `127.0.0.1:${reverse[server].port}`,
            serverName: 'localhost',
            proxyUrl: null,
          };
    },
    async close() {
      await Promise.all([forward.stop(), reverse['grpc-js'].stop(), reverse.wire.stop()]);
      await Promise.all([servers['grpc-js'].close(), servers.wire.close()]);
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The `x-call-id` of call `n` (from 1) of a case run by one client: `<client>/<case>#<n>`. */
export function callTag(client: string, caseName: string, n: number): string {
  return `${client}/${caseName}#${n}`;
}

/** Bound on waiting for a call's records; generous for a loaded 2-core machine. */
const RECORDS_MS = 20_000;

/** The records of one call, checked against the schema and the shape of a finished flow. */
export interface RecordedCall {
  readonly records: readonly JsonRecord[];
  readonly flow: JsonRecord;
  readonly end: JsonRecord;
  start(direction: 'send' | 'receive'): JsonRecord | undefined;
  data(direction: 'send' | 'receive'): JsonRecord[];
}

function toRecordedCall(records: JsonRecord[]): RecordedCall {
  assertWellFormedFlow(records);
  const pick = (event: string, direction: 'send' | 'receive') =>
    records.filter((record) => record.event === event && record.direction === direction);
  return {
    records,
    flow: records.at(-1) as JsonRecord,
    end: records.at(-2) as JsonRecord,
    start: (direction) => pick('start', direction)[0],
    data: (direction) => pick('data', direction),
  };
}

/** Waits for the finished flow of the call tagged `tag` on `proxy`. */
export async function waitForRecordedCall(proxy: ProxyProcess, tag: string): Promise<RecordedCall> {
  return toRecordedCall(await waitForCallRecords(proxy, tag, RECORDS_MS));
}

/**
 * The flows tagged `tag` recorded so far (zero or more), each finished and schema-checked: for a
 * call that may never reach the wire (a 1 ms deadline). Read it after a later call on the same
 * connection has been recorded, so anything the call sent is in the records by then.
 */
export function recordedCallsSoFar(proxy: ProxyProcess, tag: string): RecordedCall[] {
  const all = proxy.records();
  const starts = all.filter(
    (record) =>
      record.event === 'start' &&
      record.direction === 'send' &&
      hasPair(record.metadata, CALL_ID_HEADER, tag),
  );
  return starts.map((start) => {
    const records = recordsOfFlow(all, start.flowId);
    for (const record of records) assertValidRecord(record);
    return toRecordedCall(records);
  });
}

/** Waits for each call's records; calls that may not reach the wire are read after the others. */
export async function recordedCallsOf(
  rig: InteropRig,
  route: Route,
  client: string,
  testCase: InteropCase,
): Promise<(RecordedCall | null)[]> {
  const proxy = rig.endpoint(route, testCase.server).proxy;
  const calls: (RecordedCall | null)[] = [];
  const optional = new Set(testCase.mayNotReachTheWire ?? []);
  for (let n = 1; n <= testCase.calls; n++) {
    calls.push(
      optional.has(n) ? null : await waitForRecordedCall(proxy, callTag(client, testCase.name, n)),
    );
  }
  for (const n of optional) {
    const flows = recordedCallsSoFar(proxy, callTag(client, testCase.name, n));
    assert.ok(flows.length <= 1, `call #${n} made at most one flow`);
    calls[n - 1] = flows[0] ?? null;
  }
  return calls;
}
