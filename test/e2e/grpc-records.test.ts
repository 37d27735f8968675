import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import type { EchoReply } from '../helpers/echo-server.js';
import { callBidi, callClientStream, callServerStream, callUnary } from '../helpers/grpc-calls.js';
import { type GzipUpstream, startGzipUpstream } from './grpc-gzip-upstream.js';
import {
  assertWellFormedFlow,
  CALL_ID_HEADER,
  createCallMetadata,
  decodeMessage,
  echoTypes,
  encodeMessage,
  frameMessage,
  fromBase64,
  type GrpcRig,
  getMethod,
  hasName,
  hasPair,
  type JsonRecord,
  only,
  pick,
  recordsOfFlow,
  startGrpcRig,
  waitForCallRecords,
  waitForCallStart,
} from './grpc-harness.js';

const SERVICE = 'grpctap.test.Echo';

describe('records of live gRPC calls through the proxy', () => {
  let rig: GrpcRig;

  before(async () => {
    rig = await startGrpcRig();
  });

  after(async () => {
    await rig.close();
  });

  test('a unary call reads start, data, start, data, end and flow with exact bytes', async () => {
    const { id, metadata } = createCallMetadata({ 'x-echo': 'hello-metadata' });
    const request = { text: 'ping', blob: Buffer.from([0, 1, 2, 255]) };
    const result = await callUnary(rig.client, request, metadata);
    assert.equal(result.value.text, 'ping');

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    assert.deepEqual(
      records.map((record) => `${record.event}:${record.direction ?? ''}`),
      ['start:send', 'data:send', 'start:receive', 'data:receive', 'end:receive', 'flow:'],
    );
    for (const record of records) assert.equal(record.protocol, 'grpc');

    const sendStart = only(records, 'start', 'send');
    assert.equal(sendStart.service, SERVICE);
    assert.equal(sendStart.method, 'Unary');
    assert.equal(sendStart.path, `/${SERVICE}/Unary`);
    assert.equal(sendStart.authority, `localhost:${rig.server.port}`);
    assert.equal(sendStart.contentType, 'application/grpc');
    assert.equal(sendStart.encoding, null);
    assert.equal(sendStart.acceptEncoding, 'identity,deflate,gzip');
    assert.equal(sendStart.timeout, null);
    assert.ok(hasPair(sendStart.metadata, 'x-echo', 'hello-metadata'));
    for (const hidden of [':path', 'content-type', 'grpc-accept-encoding', 'grpc-timeout']) {
      assert.ok(!hasName(sendStart.metadata, hidden), `metadata has no ${hidden}`);
    }
    assert.ok(hasPair(sendStart.headers, ':path', `/${SERVICE}/Unary`));
    assert.ok(hasPair(sendStart.headers, ':method', 'POST'));
    assert.ok(hasPair(sendStart.headers, 'content-type', 'application/grpc'));

    const expectedRequest = encodeMessage(echoTypes.request, request);
    const sendData = only(records, 'data', 'send');
    assert.equal(sendData.compressed, false);
    assert.equal(sendData.wireLength, expectedRequest.length);
    assert.equal(sendData.length, expectedRequest.length);
    assert.deepEqual(fromBase64(sendData.payload), Buffer.from(expectedRequest));
    assert.deepEqual(fromBase64(sendData.raw), frameMessage(expectedRequest));

    const receiveStart = only(records, 'start', 'receive');
    assert.equal(receiveStart.service, SERVICE);
    assert.equal(receiveStart.method, 'Unary');
    assert.equal(receiveStart.path, `/${SERVICE}/Unary`);
    assert.equal(receiveStart.authority, `localhost:${rig.server.port}`);
    assert.equal(receiveStart.contentType, 'application/grpc+proto');
    assert.ok(hasPair(receiveStart.headers, ':status', '200'));
    assert.ok(hasPair(receiveStart.metadata, 'x-echo', 'hello-metadata'));

    const receiveData = only(records, 'data', 'receive');
    const reply = decodeMessage(echoTypes.reply, fromBase64(receiveData.payload));
    assert.equal(reply.text, 'ping');
    assert.deepEqual([...(reply.blob as Uint8Array)], [0, 1, 2, 255]);
    assert.deepEqual(
      fromBase64(receiveData.raw),
      frameMessage(fromBase64(receiveData.payload)),
      'raw is the 5-byte prefix plus the payload',
    );

    const end = only(records, 'end');
    assert.equal(end.direction, 'receive');
    assert.equal(end.status, 0);
    assert.equal(end.statusName, 'OK');
    assert.equal(end.statusDetails, null);
    assert.equal(end.synthetic, false);
    assert.equal(end.error, null);
    assert.ok(hasPair(end.trailers, 'x-trailer', 'trailer-value'));
    assert.ok(!hasName(end.trailers, 'grpc-status'), 'trailers leave out grpc-status');
    assert.ok(hasPair(end.raw, 'grpc-status', '0'), 'raw keeps the complete trailer list');

    const flow = only(records, 'flow');
    assert.equal(flow.flowType, 'unary');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.service, SERVICE);
    assert.equal(flow.method, 'Unary');
    assert.equal(flow.status, 0);
    assert.equal(flow.requestMessages, 1);
    assert.equal(flow.responseMessages, 1);
    assert.equal(typeof flow.durationMs, 'number');
  });

  test('a unary call with a deadline records the raw grpc-timeout value', async () => {
    const { id, metadata } = createCallMetadata();
    await callUnary(rig.client, { text: 'deadline' }, metadata, {
      deadline: Date.now() + 30_000,
    });
    const records = await waitForCallRecords(rig.proxy, id);
    const start = only(records, 'start', 'send');
    assert.match(String(start.timeout), /^\d{1,8}[HMSmun]$/);
    assert.ok(hasPair(start.headers, 'grpc-timeout', String(start.timeout)));
    assert.ok(!hasName(start.metadata, 'grpc-timeout'));
  });

  test('server-streaming messages reach the tail while the call is still open', async () => {
    const { id, metadata } = createCallMetadata();
    const heldBefore = rig.server.cancelled.length;
    const call = getMethod(rig.client, 'ServerStream')(
      { text: 'live', count: 2, holdOpen: true },
      metadata,
    ) as grpc.ClientReadableStream<EchoReply>;
    let status: grpc.StatusObject | null = null;
    const replies: EchoReply[] = [];
    call.on('data', (reply: EchoReply) => replies.push(reply));
    call.on('error', () => {});
    const closed = new Promise<void>((resolve) =>
      call.on('status', (value: grpc.StatusObject) => {
        status = value;
        resolve();
      }),
    );

    const start = await waitForCallStart(rig.proxy, id);
    const second = await rig.proxy.waitForRecord(
      (record) =>
        record.flowId === start.flowId &&
        record.event === 'data' &&
        record.direction === 'receive' &&
        decodeMessage(echoTypes.reply, fromBase64(record.payload)).index === 1,
    );
    assert.equal(second.sequence, 4, 'start, data, start, data #0, data #1');
    const soFar = recordsOfFlow(rig.proxy.records(), start.flowId);
    assert.deepEqual(pick(soFar, 'end'), [], 'no end record while the server holds the stream');
    assert.deepEqual(pick(soFar, 'flow'), []);
    assert.equal(status, null, 'the client has not seen a status yet');
    assert.equal(rig.server.cancelled.length, heldBefore + 1, 'the server still holds the call');

    call.cancel();
    await closed;
    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const end = only(records, 'end');
    assert.equal(end.status, null);
    assert.deepEqual(end.error && { ...(end.error as JsonRecord), reason: '' }, {
      code: 'CANCEL',
      side: 'client',
      reason: '',
    });
    const flow = only(records, 'flow');
    assert.equal(flow.flowType, 'stream');
    assert.equal(flow.state, 'error');
    assert.equal(flow.requestMessages, 1);
    assert.equal(flow.responseMessages, 2);
  });

  test('a paced server stream is recorded message by message as it happens', async () => {
    const { id, metadata } = createCallMetadata();
    const intervalMs = 150;
    const result = await callServerStream(
      rig.client,
      { text: 'paced', count: 4, intervalMs, size: 16 },
      metadata,
    );
    assert.equal(result.value.length, 4);
    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const data = pick(records, 'data', 'receive');
    assert.deepEqual(
      data.map((record) => decodeMessage(echoTypes.reply, fromBase64(record.payload)).text),
      ['paced#0', 'paced#1', 'paced#2', 'paced#3'],
    );
    const first = Date.parse(String(data[0]?.time));
    const last = Date.parse(String(data[3]?.time));
    assert.ok(
      last - first >= 3 * intervalMs - 50,
      `each message is recorded when it passes (${last - first} ms apart)`,
    );
    const end = only(records, 'end');
    assert.equal(end.status, 0);
    assert.ok(hasPair(end.trailers, 'x-trailer', 'trailer-value'));
    assert.ok(Date.parse(String(end.time)) >= last);
    const flow = only(records, 'flow');
    assert.equal(flow.flowType, 'stream');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.requestMessages, 1);
    assert.equal(flow.responseMessages, 4);
  });

  test('a client-streaming call records every request message in order', async () => {
    const { id, metadata } = createCallMetadata();
    const result = await callClientStream(
      rig.client,
      [{ text: 'a' }, { text: 'b' }, { text: 'c' }],
      metadata,
    );
    assert.equal(result.value.text, 'a,b,c');
    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    assert.deepEqual(
      pick(records, 'data', 'send').map((record) => fromBase64(record.payload)),
      ['a', 'b', 'c'].map((text) => Buffer.from(encodeMessage(echoTypes.request, { text }))),
    );
    const reply = decodeMessage(
      echoTypes.reply,
      fromBase64(only(records, 'data', 'receive').payload),
    );
    assert.equal(reply.text, 'a,b,c');
    const flow = only(records, 'flow');
    assert.equal(flow.flowType, 'stream');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.requestMessages, 3);
    assert.equal(flow.responseMessages, 1);
  });

  test('a bidirectional call records request and reply messages interleaved', async () => {
    const { id, metadata } = createCallMetadata();
    const result = await callBidi(
      rig.client,
      [{ text: '1' }, { text: '2' }, { text: '3' }],
      metadata,
    );
    assert.equal(result.value.length, 3);
    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    // The client sends each message only after the previous reply, so the order is fixed.
    assert.deepEqual(
      pick(records, 'data').map((record) => {
        const type = record.direction === 'send' ? echoTypes.request : echoTypes.reply;
        return `${record.direction}:${decodeMessage(type, fromBase64(record.payload)).text}`;
      }),
      ['send:1', 'receive:echo:1', 'send:2', 'receive:echo:2', 'send:3', 'receive:echo:3'],
    );
    const flow = only(records, 'flow');
    assert.equal(flow.flowType, 'bidirectional');
    assert.equal(flow.state, 'complete');
    assert.equal(flow.status, 0);
    assert.equal(flow.requestMessages, 3);
    assert.equal(flow.responseMessages, 3);
  });
  test('concurrent calls on one connection each get their own well-formed flow', async () => {
    const calls = Array.from({ length: 40 }, (_unused, index) => {
      const { id, metadata } = createCallMetadata();
      const text = `concurrent-${index}`;
      const done =
        index % 2 === 0
          ? callUnary(rig.client, { text, blob: Buffer.alloc(index * 1000, index) }, metadata)
          : callServerStream(rig.client, { text, count: 3, size: index * 100 }, metadata);
      return { id, text, done };
    });
    await Promise.all(calls.map((call) => call.done));
    for (const [index, call] of calls.entries()) {
      const records = await waitForCallRecords(rig.proxy, call.id);
      assertWellFormedFlow(records);
      const sent = decodeMessage(
        index % 2 === 0 ? echoTypes.request : echoTypes.streamRequest,
        fromBase64(only(records, 'data', 'send').payload),
      );
      assert.equal(sent.text, call.text, 'each flow holds its own request');
      const flow = only(records, 'flow');
      assert.equal(flow.state, 'complete');
      assert.equal(flow.responseMessages, index % 2 === 0 ? 1 : 3);
    }
    const flowIds = new Set(
      calls.map((call) => {
        const start = rig.proxy
          .records()
          .find(
            (record) =>
              record.event === 'start' && hasPair(record.metadata, CALL_ID_HEADER, call.id),
          );
        return start?.flowId;
      }),
    );
    assert.equal(flowIds.size, calls.length, 'every call has its own flowId');
  });
});

describe('records of gzip-compressed gRPC messages', () => {
  let rig: GrpcRig;
  let gzipUpstream: GzipUpstream;

  before(async () => {
    rig = await startGrpcRig();
    gzipUpstream = await startGzipUpstream(
      rig.pki.localhost,
      encodeMessage(echoTypes.reply, { text: 'zipped', blob: Buffer.alloc(4000, 'z') }),
    );
  });

  after(async () => {
    await rig.close();
    await gzipUpstream.close();
  });

  test('a gzip request is recorded with its wire length and decompressed payload', async () => {
    const client = rig.createClient({ 'grpc.default_compression_algorithm': 2 });
    const { id, metadata } = createCallMetadata();
    const request = { text: 'squeeze me '.repeat(200) };
    const result = await callUnary(client, request, metadata);
    assert.equal(result.value.text, request.text);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    const start = only(records, 'start', 'send');
    assert.equal(start.encoding, 'gzip');
    assert.ok(hasPair(start.headers, 'grpc-encoding', 'gzip'));
    assert.ok(!hasName(start.metadata, 'grpc-encoding'));

    const expected = encodeMessage(echoTypes.request, request);
    const data = only(records, 'data', 'send');
    assert.equal(data.compressed, true);
    assert.equal(data.length, expected.length);
    assert.notEqual(data.wireLength, data.length);
    assert.ok((data.wireLength as number) < expected.length / 10, 'repetitive text compresses');
    assert.deepEqual(fromBase64(data.payload), Buffer.from(expected), 'payload is decompressed');
    const raw = fromBase64(data.raw);
    assert.equal(raw[0], 1, 'the compressed flag is set on the wire');
    assert.equal(raw.readUInt32BE(1), data.wireLength);
    assert.equal(raw.length, 5 + (data.wireLength as number));
  });

  test('a gzip response is recorded with its wire length and decompressed payload', async () => {
    const client = rig.createClient({}, gzipUpstream.port);
    const { id, metadata } = createCallMetadata();
    const result = await callUnary(client, { text: 'give me gzip' }, metadata);
    assert.equal(result.value.text, 'zipped');
    assert.deepEqual(result.trailers.get('x-trailer'), ['gzip-upstream']);

    const records = await waitForCallRecords(rig.proxy, id);
    assertWellFormedFlow(records);
    assert.equal(only(records, 'start', 'receive').encoding, 'gzip');
    const data = only(records, 'data', 'receive');
    assert.equal(data.compressed, true);
    assert.equal(data.wireLength, gzipUpstream.replyWire.length);
    assert.equal(data.length, gzipUpstream.replyPayload.length);
    assert.deepEqual(fromBase64(data.payload), Buffer.from(gzipUpstream.replyPayload));
    const raw = fromBase64(data.raw);
    assert.deepEqual(raw.subarray(5), Buffer.from(gzipUpstream.replyWire));
    const end = only(records, 'end');
    assert.equal(end.status, 0);
    assert.ok(hasPair(end.trailers, 'x-trailer', 'gzip-upstream'));
  });
});
