/**
 * gRPC's interop cases (doc/interop-test-descriptions.md) run by a grpc-js client through the
 * proxy, over a CONNECT tunnel with TLS and through `--reverse`; each call's records are checked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createGrpcJsClients,
  type GrpcJsClients,
  runGrpcJsCase,
} from './grpc-js-interop-client.js';
import { INTEROP_CASES, type InteropCase } from './interop-cases.js';
import {
  callTag,
  type InteropRig,
  type RecordedCall,
  recordedCallsSoFar,
  ROUTES,
  type Route,
  startInteropRig,
  waitForRecordedCall,
} from './interop-harness.js';

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

describe('gRPC interop cases with a grpc-js client through the proxy', () => {
  let rig: InteropRig;
  before(async () => {
    rig = await startInteropRig();
  });
  after(async () => {
    await rig.close();
  });

  for (const route of ROUTES) {
    describe(route === 'connect' ? 'over CONNECT + TLS' : 'through --reverse', () => {
      for (const testCase of INTEROP_CASES) {
        it(`passes ${testCase.name} and records it`, async () => {
          const clients: GrpcJsClients = createGrpcJsClients(
            rig.endpoint(route, testCase.server),
            rig.caPem,
          );
          try {
            await runGrpcJsCase(testCase.name, clients);
          } finally {
            clients.close();
          }
          testCase.checkRecords(await recordedCallsOf(rig, route, 'grpc-js', testCase));
        });
      }
    });
  }
});
