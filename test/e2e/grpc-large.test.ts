import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { callUnary } from '../helpers/grpc-calls.js';
import { assertValidRecord } from '../helpers/record-schema.js';
import { type GzipUpstream, startGzipUpstream } from './grpc-gzip-upstream.js';
import {
  assertWellFormedFlow,
  CALL_ID_HEADER,
  createCallMetadata,
  echoTypes,
  encodeMessage,
  frameMessage,
  fromBase64,
  type GrpcRig,
  hasPair,
  type JsonRecord,
  only,
  recordsOfFlow,
  startGrpcRig,
  waitForCallRecords,
} from './grpc-harness.js';
import { readRecordFile } from '../helpers/record-file.js';
import { waitForValue, waitUntil } from '../helpers/wait.js';

const MIB = 1024 * 1024;
const UNLIMITED: grpc.ClientOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
};

/** Waits until the record file holds the `flow` record of the call tagged `callId`. */
function waitForRecordedCall(path: string, callId: string): Promise<JsonRecord[]> {
  return waitForValue(
    () => {
      const records = readRecordFile(path);
      const start = records.find(
        (record) =>
          record.event === 'start' &&
          record.direction === 'send' &&
          hasPair(record.metadata, CALL_ID_HEADER, callId),
      );
      const flow = recordsOfFlow(records, start?.flowId);
      return flow.some((record) => record.event === 'flow') ? flow : undefined;
    },
    `the flow of ${callId} in the record file`,
    20_000,
  );
}

describe('an 8 MiB message through the proxy', () => {
  let rig: GrpcRig;
  let dir: string;
  let recordPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-large-'));
    recordPath = join(dir, 'records.ndjson');
    // A text tail keeps 40 MB of base64 off the test's stdout pipe; the record file has it all.
    rig = await startGrpcRig({
      proxy: { args: ['--output', 'text', '--record', recordPath] },
      client: UNLIMITED,
    });
  });

  after(async () => {
    await rig.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('passes both ways and the record file holds the full payloads', async () => {
    const blob = Buffer.alloc(8 * MIB);
    for (let i = 0; i < blob.length; i += 4096) blob.writeUInt32BE(i, i);
    const request = { text: 'big', blob };
    const { id, metadata } = createCallMetadata();
    const result = await callUnary(rig.client, request, metadata);
    assert.equal(result.value.blob.length, blob.length);
    assert.ok(result.value.blob.equals(blob));

    await waitUntil(
      () =>
        rig.proxy.lines.some((line) => /flow grpctap\.test\.Echo\/Unary unary complete/.test(line)),
      'the flow line on the text tail',
    );
    const records = await waitForRecordedCall(recordPath, id);
    for (const record of records) assertValidRecord(record);
    assertWellFormedFlow(records);

    const expected = encodeMessage(echoTypes.request, request);
    assert.ok(expected.length > 8 * MIB && expected.length < 8 * MIB + 32);
    const sent = only(records, 'data', 'send');
    assert.equal(sent.length, expected.length);
    assert.equal(sent.wireLength, expected.length);
    assert.equal(sent.payloadTruncated, undefined, 'the record file is never truncated');
    assert.ok(fromBase64(sent.payload).equals(expected), 'the full request payload is recorded');
    assert.ok(fromBase64(sent.raw).equals(frameMessage(expected)));

    const received = only(records, 'data', 'receive');
    assert.ok((received.length as number) > 8 * MIB);
    assert.equal(received.payloadTruncated, undefined);
    const reply = echoTypes.reply.decode(fromBase64(received.payload)) as unknown as {
      blob: Uint8Array;
    };
    assert.ok(Buffer.from(reply.blob).equals(blob), 'the full reply payload is recorded');
    const flow = only(records, 'flow');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.status, 0);
  });
});

describe('messages over --max-message-size', () => {
  let rig: GrpcRig;
  let inflating: GzipUpstream;

  before(async () => {
    rig = await startGrpcRig({
      proxy: { args: ['--max-message-size', '1MiB'] },
      client: UNLIMITED,
    });
    // 2 MiB of zeros gzip to about 2 KiB: small on the wire, over the limit once inflated.
    inflating = await startGzipUpstream(
      rig.pki.localhost,
      encodeMessage(echoTypes.reply, { blob: Buffer.alloc(2 * MIB) }),
    );
  });

  after(async () => {
    await rig.close();
    await inflating.close();
  });

  test('resets the stream, records MESSAGE_TOO_LARGE and keeps serving', async () => {
    const { id, metadata } = createCallMetadata();
    const error = await callUnary(
      rig.client,
      { text: 'too big', blob: Buffer.alloc(2 * MIB, 7) },
      metadata,
    ).then(
      () => assert.fail('the oversize call should fail'),
      (failure: grpc.ServiceError) => failure,
    );
    // The proxy resets both streams with INTERNAL_ERROR, which grpc-js reports as INTERNAL.
    assert.equal(error.code, grpc.status.INTERNAL);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const end = only(records, 'end');
    assert.equal(end.status, null);
    assert.equal(end.direction, 'send');
    const endError = end.error as JsonRecord;
    assert.equal(endError.code, 'MESSAGE_TOO_LARGE');
    assert.equal(endError.side, 'client');
    assert.match(String(endError.reason), /1048576/);
    const flow = only(records, 'flow');
    assert.equal(flow.state, 'error');
    assert.equal(flow.status, null);
    assert.equal(flow.requestMessages, 0, 'the oversize message never counts as a message');

    const next = createCallMetadata();
    const result = await callUnary(rig.client, { text: 'still alive' }, next.metadata);
    assert.equal(result.value.text, 'still alive');
    const nextRecords = await waitForCallRecords(rig.proxy, next.id);
    assert.equal(only(nextRecords, 'flow').state, 'complete');
    assert.equal(rig.proxy.child.exitCode, null, 'the proxy is still running');
  });

  test('resets a gzip reply that inflates past the limit, blaming the upstream', async () => {
    assert.ok(inflating.replyWire.length < 64 * 1024, 'small on the wire');
    const client = rig.createClient(UNLIMITED, inflating.port);
    const { id, metadata } = createCallMetadata();
    const error = await callUnary(client, { text: 'inflate' }, metadata).then(
      () => assert.fail('the call should fail'),
      (failure: grpc.ServiceError) => failure,
    );
    assert.equal(error.code, grpc.status.INTERNAL);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const end = only(records, 'end');
    assert.equal(end.status, null);
    assert.equal(end.direction, 'receive');
    const endError = end.error as JsonRecord;
    assert.equal(endError.code, 'MESSAGE_TOO_LARGE');
    assert.equal(endError.side, 'upstream');
    const flow = only(records, 'flow');
    assert.equal(flow.state, 'error');
    assert.equal(flow.responseMessages, 0);
    assert.equal(rig.proxy.child.exitCode, null, 'the proxy is still running');
  });
});
