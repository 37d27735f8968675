import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createFlowPipeline } from '../../src/flow/flow-pipeline.js';
import type { FlowItem, FlowSink } from '../../src/flow/flow-sink.js';
import { createObserverHub } from '../../src/flow/observer-hub.js';
import type { PayloadDecoder } from '../../src/flow/payload-decoder.js';
import type { ChannelEvent, HeaderList } from '../../src/http2/channel-event.js';
import { encodeGrpcRecordLine } from '../../src/output/grpc-record.js';
import { createRecordSink } from '../../src/output/record-sink.js';
import { createTailSink } from '../../src/output/tail-sink.js';
import { createMessageDecoder } from '../../src/schema/create-message-decoder.js';

const REQUEST: HeaderList = [
  [':method', 'POST'],
  [':path', '/demo.Echo/Say'],
  [':authority', 'echo.local'],
  ['content-type', 'application/grpc'],
];

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

const CONNECTION = {
  id: 'connection-1',
  clientAddress: '127.0.0.1',
  clientPort: 40000,
  tunnel: null,
  sni: null,
  alpn: null,
  tlsVersion: null,
};

const MESSAGE = Buffer.from([0x0a, 0x03, 0x61, 0x64, 0x61]);

/** The channel events of one unary call on stream `id`. */
function unaryCall(id: string, time: number): ChannelEvent[] {
  const base = (direction: 'send' | 'receive', offset: number) => ({
    streamId: id,
    direction,
    time: time + offset,
  });
  return [
    { kind: 'headersReceived', ...base('send', 0), headers: REQUEST, endStream: false },
    { kind: 'dataReceived', ...base('send', 1), data: frame(MESSAGE) },
    { kind: 'endReceived', ...base('send', 1) },
    {
      kind: 'headersReceived',
      ...base('receive', 2),
      headers: [[':status', '200']],
      endStream: false,
    },
    { kind: 'dataReceived', ...base('receive', 3), data: frame(MESSAGE) },
    { kind: 'trailersReceived', ...base('receive', 4), headers: [['grpc-status', '0']] },
  ];
}

/** A decoder that counts its calls. */
function countingDecoder(): { decoder: PayloadDecoder; calls: () => number } {
  const real = createMessageDecoder({ registry: null });
  let calls = 0;
  return {
    decoder: {
      decodeMessage(...args) {
        calls += 1;
        return real.decodeMessage(...args);
      },
      decodeStatusDetails(...args) {
        calls += 1;
        return real.decodeStatusDetails(...args);
      },
    },
    calls: () => calls,
  };
}

function memoryStream(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function collectingSink(items: FlowItem[], name = 'collect'): FlowSink {
  return {
    name,
    needs: { httpBodies: false },
    accept: (item) => items.push(item),
    close: async () => {},
  };
}

function runCall(pipeline: ReturnType<typeof createFlowPipeline>, id = 'flow-1'): void {
  const { observe } = createObserverHub({ maxMessageSize: 1024, pipeline, warn: () => {} });
  const observer = observe(id, REQUEST, { reset: () => {} }, CONNECTION, null);
  for (const event of unaryCall(id, Date.UTC(2024, 4, 1))) observer?.onEvent(event);
}

const writerOptions = {
  maxQueuedBytes: Number.POSITIVE_INFINITY,
  onError: () => {},
  onDrop: () => {},
};

describe('the observer pipeline', () => {
  it('puts the call identity on every item of the call', () => {
    const items: FlowItem[] = [];
    runCall(
      createFlowPipeline({
        sinks: [collectingSink(items)],
        decoder: null,
        maxBodyBytes: 0,
        warn: () => {},
      }),
    );
    assert.deepEqual(
      items.map((item) => (item.kind === 'grpc' ? `${item.envelope.kind}:${item.call.name}` : '')),
      [
        'start:demo.Echo/Say',
        'data:demo.Echo/Say',
        'start:demo.Echo/Say',
        'data:demo.Echo/Say',
        'end:demo.Echo/Say',
        'flow:demo.Echo/Say',
      ],
    );
    const calls = new Set(items.map((item) => (item.kind === 'grpc' ? item.call : null)));
    assert.equal(calls.size, 1, 'one identity object shared by the whole call');
  });

  it('decodes each message once when both the tail and the record read it', async () => {
    const counting = countingDecoder();
    const tail = memoryStream();
    const record = memoryStream();
    const pipeline = createFlowPipeline({
      sinks: [
        createTailSink({ stream: tail.stream, format: 'text', color: false, ...writerOptions }),
        createRecordSink({ stream: record.stream, ...writerOptions }),
      ],
      decoder: counting.decoder,
      maxBodyBytes: 0,
      warn: () => {},
    });
    runCall(pipeline);
    await pipeline.close();
    assert.equal(counting.calls(), 2, 'two messages, one decoding each');
    assert.match(tail.text(), /data 5B .*ada/);
    assert.match(record.text(), /"decoded":/);
  });

  it('decodes nothing when no sink reads a decoded view', () => {
    const counting = countingDecoder();
    const items: FlowItem[] = [];
    runCall(
      createFlowPipeline({
        sinks: [collectingSink(items)],
        decoder: counting.decoder,
        maxBodyBytes: 0,
        warn: () => {},
      }),
    );
    assert.equal(items.length, 6);
    assert.equal(counting.calls(), 0);
  });

  it('writes the record lines the record encoder makes, with the connection on the request start and the flow, and the same lines to a JSON tail', async () => {
    const items: FlowItem[] = [];
    const tail = memoryStream();
    const record = memoryStream();
    const pipeline = createFlowPipeline({
      sinks: [
        collectingSink(items),
        createTailSink({ stream: tail.stream, format: 'json', color: false, ...writerOptions }),
        createRecordSink({ stream: record.stream, ...writerOptions }),
      ],
      decoder: null,
      maxBodyBytes: 0,
      warn: () => {},
    });
    runCall(pipeline);
    await pipeline.close();
    const connection = JSON.stringify({ ...CONNECTION, upstream: null });
    const expected = items
      .map((item) => {
        if (item.kind !== 'grpc') return '';
        const line = encodeGrpcRecordLine(item.envelope).toString();
        const { envelope } = item;
        const withConnection =
          envelope.kind === 'flow' || (envelope.kind === 'start' && envelope.direction === 'send');
        return withConnection ? `${line.slice(0, -2)},"connection":${connection}}\n` : line;
      })
      .join('');
    assert.equal(record.text(), expected);
    assert.equal(tail.text(), expected);
  });

  it('keeps feeding the other sinks when one throws, and says so once', () => {
    const items: FlowItem[] = [];
    const warnings: string[] = [];
    const broken: FlowSink = {
      name: 'broken',
      needs: { httpBodies: false },
      accept: () => {
        throw new Error('bug');
      },
      close: async () => {},
    };
    runCall(
      createFlowPipeline({
        sinks: [broken, collectingSink(items)],
        decoder: null,
        maxBodyBytes: 0,
        warn: (line) => warnings.push(line),
      }),
    );
    assert.equal(items.length, 6);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^broken sink failed: Error: bug/);
  });

  it('captures plain HTTP bodies only when a sink asks for them', () => {
    const base = { sinks: [] as FlowSink[], decoder: null, maxBodyBytes: 1024, warn: () => {} };
    assert.equal(createFlowPipeline(base).bodyCapBytes, 0);
    const wanting: FlowSink = { ...collectingSink([]), needs: { httpBodies: true } };
    assert.equal(createFlowPipeline({ ...base, sinks: [wanting] }).bodyCapBytes, 1024);
  });
});
