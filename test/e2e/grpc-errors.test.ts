import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { EchoReply } from '../helpers/echo-server.js';
import { callUnary } from '../helpers/grpc-calls.js';
import {
  assertWellFormedFlow,
  createCallMetadata,
  echoTypes,
  type GrpcRig,
  getMethod,
  hasName,
  hasPair,
  type JsonRecord,
  only,
  pick,
  startGrpcRig,
  waitForCallRecords,
} from './grpc-harness.js';
import { settleWithin, waitUntil } from '../helpers/wait.js';

/** Runs a call that must fail and returns its error. */
async function expectFailure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => assert.fail('the call should fail'),
    (error: grpc.ServiceError) => error,
  );
}

function errorOf(end: JsonRecord): { code: unknown; side: unknown; reason: unknown } {
  assert.ok(end.error !== null && typeof end.error === 'object', 'the end record has an error');
  return end.error as { code: unknown; side: unknown; reason: unknown };
}

describe('records of gRPC calls that fail', () => {
  let rig: GrpcRig;

  before(async () => {
    rig = await startGrpcRig();
  });

  after(async () => {
    await rig.close();
  });

  test('an error status keeps its decoded message, details and custom trailers', async () => {
    const { id, metadata } = createCallMetadata();
    const error = await expectFailure(
      callUnary(
        rig.client,
        {
          text: 'x',
          status: grpc.status.FAILED_PRECONDITION,
          statusMessage: 'nope: 100% wrong ✗',
        },
        metadata,
      ),
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    // grpc-js sent the response headers before failing, so the status comes in real trailers.
    assert.deepEqual(pick(records, 'data', 'receive'), []);
    const end = only(records, 'end');
    assert.equal(end.direction, 'receive');
    assert.equal(end.status, 9);
    assert.equal(end.statusName, 'FAILED_PRECONDITION');
    assert.equal(end.message, 'nope: 100% wrong ✗');
    assert.equal(end.statusDetails, Buffer.from('details-bytes').toString('base64'));
    assert.ok(hasPair(end.trailers, 'x-trailer', 'trailer-value'));
    for (const name of ['grpc-status', 'grpc-message', 'grpc-status-details-bin']) {
      assert.ok(!hasName(end.trailers, name), `trailers leave out ${name}`);
      assert.ok(hasName(end.raw, name), `raw keeps ${name}`);
    }
    assert.equal(end.synthetic, false);
    assert.equal(end.error, null);
    const flow = only(records, 'flow');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.status, 9);
    assert.equal(flow.requestMessages, 1);
    assert.equal(flow.responseMessages, 0);
  });

  test('a method the server lacks gives a receive start and a synthetic UNIMPLEMENTED end', async () => {
    const { id, metadata } = createCallMetadata();
    const serialize = (value: Record<string, unknown>): Buffer =>
      Buffer.from(echoTypes.request.encode(echoTypes.request.fromObject(value)).finish());
    const error = await expectFailure(
      new Promise((resolve, reject) =>
        rig.client.makeUnaryRequest(
          '/grpctap.test.Echo/Missing',
          serialize,
          (bytes: Buffer) => bytes,
          { text: 'anyone there?' },
          metadata,
          (failure, value) => (failure ? reject(failure) : resolve(value)),
        ),
      ),
    );
    assert.equal(error.code, grpc.status.UNIMPLEMENTED);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const start = only(records, 'start', 'receive');
    const end = only(records, 'end');
    assert.equal(end.sequence, (start.sequence as number) + 1);
    assert.equal(end.direction, 'receive');
    assert.equal(end.status, 12);
    assert.equal(end.statusName, 'UNIMPLEMENTED');
    assert.equal(end.message, error.details);
    assert.match(String(end.message), /Missing/);
    assert.equal(end.synthetic, true);
    assert.equal(end.raw, null);
    assert.equal(end.error, null);
    assert.ok(hasPair(start.metadata, 'grpc-status', '12'), 'the start lists the status headers');
    assert.ok(!hasName(end.trailers, 'grpc-status'));
    assert.ok(!hasName(end.trailers, 'content-type'));
    const flow = only(records, 'flow');
    assert.equal(flow.method, 'Missing');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.status, 12);
    assert.equal(flow.responseMessages, 0);
  });

  test('an exceeded deadline ends the flow by the client cancelling the stream', async () => {
    const { id, metadata } = createCallMetadata();
    const deadline = Date.now() + 300;
    const error = await expectFailure(
      callUnary(rig.client, { text: 'slow', delayMs: 1000 }, metadata, { deadline }),
    );
    assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    assert.match(String(only(records, 'start', 'send').timeout), /^\d+[mu]$/);
    const end = only(records, 'end');
    const flow = only(records, 'flow');
    // Both peers run the deadline: grpc-js clients reset the stream with CANCEL when it passes,
    // and grpc-js servers answer status 4 when their copy passes. The client's timer starts
    // first (the server's starts when the headers arrive), so the reset normally reaches the
    // proxy first; on a loaded machine the server's trailers can win the race, and then the
    // proxy has faithfully seen a status 4 end. Either way the flow ends exactly once.
    if (end.status === null) {
      assert.deepEqual(
        { code: errorOf(end).code, side: errorOf(end).side },
        { code: 'CANCEL', side: 'client' },
      );
      assert.equal(end.direction, 'send');
      assert.equal(flow.state, 'error');
      assert.equal(flow.status, null);
    } else {
      assert.equal(end.status, 4);
      assert.equal(end.statusName, 'DEADLINE_EXCEEDED');
      assert.equal(flow.state, 'complete');
      assert.equal(flow.status, 4);
    }
    assert.equal(flow.responseMessages, 0);
    // Measured against the deadline itself, not a duration from when the proxy saw the call (on a
    // loaded machine that can be well after the client started its timer). 5 ms allows for
    // grpc-timeout's rounding and millisecond timestamps.
    assert.ok(
      Date.parse(String(end.time)) >= deadline - 5,
      `the flow ended at ${String(end.time)}, before the deadline ${new Date(deadline).toISOString()}`,
    );
  });

  test('a client cancelling a server stream ends the flow and cancels the upstream call', async () => {
    const { id, metadata } = createCallMetadata();
    const heldBefore = rig.server.cancelled.length;
    const call = getMethod(rig.client, 'ServerStream')(
      { text: 'cancel-me', count: 1, holdOpen: true },
      metadata,
    ) as grpc.ClientReadableStream<EchoReply>;
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    assert.equal((await status).code, grpc.status.CANCELLED);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const end = only(records, 'end');
    assert.equal(end.status, null);
    assert.equal(end.statusName, null);
    assert.equal(end.direction, 'send');
    assert.equal(errorOf(end).code, 'CANCEL');
    assert.equal(errorOf(end).side, 'client');
    assert.equal(typeof errorOf(end).reason, 'string');
    const flow = only(records, 'flow');
    assert.equal(flow.state, 'error');
    assert.equal(flow.status, null);
    assert.equal(flow.flowType, 'unary', 'one message each way reads unary (no service schema)');
    assert.equal(flow.responseMessages, 1);

    await waitUntil(() => rig.server.cancelled.length > heldBefore, 'the server to hold the call');
    const serverSaw = rig.server.cancelled[heldBefore] as Promise<void>;
    const outcome = await settleWithin(
      serverSaw.then(() => 'cancelled'),
      30_000,
      'still open',
    );
    assert.equal(outcome, 'cancelled', 'the upstream stream was cancelled too');
  });
});
