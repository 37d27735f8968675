/**
 * gRPC's interop cases (doc/interop-test-descriptions.md) run by a grpcio (Python) client through
 * the proxy, over a CONNECT tunnel with TLS and through `--reverse`; each call's records are
 * checked as for grpc-js. The client is `grpcio-interop-client.py`, one process per case, run by
 * the system Python that Debian's python3-grpcio installs into.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { findRepoRoot } from '../helpers/repo-root.js';
import { INTEROP_CASES, SLEEPING_SERVER_DEADLINE_MS } from './interop-cases.js';
import {
  type Endpoint,
  type InteropRig,
  recordedCallsOf,
  ROUTES,
  startInteropRig,
} from './interop-harness.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = join(findRepoRoot(), 'test', 'interop', 'grpcio-interop-client.py');
/** Bound on one case's client process, start-up included (ms). */
const CLIENT_MS = 60_000;

/** Cases grpcio cannot run, with why. */
const GRPCIO_CANNOT: Readonly<Record<string, string>> = {
  client_compressed_streaming:
    'grpcio 1.51 has no per-message write flags: every message of a call is sent with the ' +
    "call's compression, so it cannot send the first message compressed and the second not",
};

const grpcioMissing =
  spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' }).status === 0
    ? null
    : `${PYTHON} cannot import grpc and google.protobuf (Debian: python3-grpcio, python3-protobuf)`;

/** The environment of the client: the proxy's CA as TLS roots, `grpc_proxy` only for CONNECT. */
function clientEnv(endpoint: Endpoint, caPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caPath };
  for (const name of Object.keys(env)) {
    if (/^(grpc|https?|all|no|no_grpc)_proxy$/i.test(name)) delete env[name];
  }
  if (endpoint.proxyUrl !== null) env.grpc_proxy = endpoint.proxyUrl;
  return env;
}

/** Runs one case in the Python client; rejects with its stderr when an assert failed. */
async function runGrpcioCase(name: string, endpoint: Endpoint, rig: InteropRig): Promise<void> {
  const args = [
    CLIENT,
    name,
    endpoint.target,
    '--descriptor-set',
    rig.descriptorSetPath,
    '--server-name',
    endpoint.serverName,
    '--sleeping-server-deadline-ms',
    String(SLEEPING_SERVER_DEADLINE_MS),
  ];
  try {
    await promisify(execFile)(PYTHON, args, {
      env: clientEnv(endpoint, rig.caPath),
      timeout: CLIENT_MS,
    });
  } catch (error) {
    const { code, signal, stderr } = error as { code?: unknown; signal?: unknown; stderr?: string };
    assert.fail(
      `grpcio client failed ${name} (exit ${String(code)}, signal ${String(signal)}):\n${stderr}`,
    );
  }
}

describe('gRPC interop cases with a grpcio client through the proxy', () => {
  let rig: InteropRig;
  before(async () => {
    if (grpcioMissing === null) rig = await startInteropRig();
  });
  after(async () => {
    if (grpcioMissing === null) await rig.close();
  });

  for (const route of ROUTES) {
    describe(route === 'connect' ? 'over CONNECT + TLS' : 'through --reverse', () => {
      for (const testCase of INTEROP_CASES) {
        it(`passes ${testCase.name} and records it`, async (t) => {
          // CI installs grpcio (.ci/run): there a missing Python client is a failure, not a skip.
          if (grpcioMissing !== null && process.env.CI) assert.fail(grpcioMissing);
          const reason = grpcioMissing ?? GRPCIO_CANNOT[testCase.name];
          if (reason !== undefined) {
            t.skip(reason);
            return;
          }
          await runGrpcioCase(testCase.name, rig.endpoint(route, testCase.server), rig);
          testCase.checkRecords(await recordedCallsOf(rig, route, 'grpcio', testCase));
        });
      }
    });
  }
});
