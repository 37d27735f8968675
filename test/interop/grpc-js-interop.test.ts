/**
 * gRPC's interop cases (doc/interop-test-descriptions.md) run by a grpc-js client through the
 * proxy, over a CONNECT tunnel with TLS and through `--reverse`; each call's records are checked.
 */
import { after, before, describe, it } from 'node:test';
import {
  createGrpcJsClients,
  type GrpcJsClients,
  runGrpcJsCase,
} from './grpc-js-interop-client.js';
import { INTEROP_CASES } from './interop-cases.js';
import { type InteropRig, recordedCallsOf, ROUTES, startInteropRig } from './interop-harness.js';

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
