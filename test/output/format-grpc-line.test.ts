import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGrpcLine } from '../../src/output/format-grpc-line.js';
import { flow, message, ok, start } from './line-fixtures.js';

const ESC = '\x1b[';

const plain = { color: false } as const;

describe('formatGrpcLine', () => {
  it('writes a start line with UTC time, short flow id, sequence and arrow', () => {
    assert.equal(
      formatGrpcLine(start, plain),
      '12:04:05.123 7f3a9c1e #0 → helloworld.Greeter/SayHello start authority=localhost:50051 encoding=gzip timeout=1s metadata=1',
    );
  });

  it('shows the HTTP status on a response start', () => {
    const line = formatGrpcLine(
      { ...start, direction: 'receive', sequence: 2, headers: [[':status', '200']], timeout: null },
      plain,
    );
    assert.match(
      line,
      /#2 ← helloworld\.Greeter\/SayHello start http=200 encoding=gzip metadata=1$/,
    );
  });

  it('shows the raw path when the call has no service and method', () => {
    const line = formatGrpcLine({ ...start, service: '', method: '', path: '/bad' }, plain);
    assert.match(line, / → \/bad start /);
  });

  it('writes a data line with size and a printable preview', () => {
    assert.equal(
      formatGrpcLine(message, { ...plain, call: 'helloworld.Greeter/SayHello' }),
      '12:04:05.125 7f3a9c1e #1 → helloworld.Greeter/SayHello data 7B |..world|',
    );
  });

  it('marks compression and the wire length, and cuts the preview', () => {
    const line = formatGrpcLine(
      {
        ...message,
        compressed: true,
        wireLength: 30,
        length: 40,
        payload: new Uint8Array(40).fill(0x41),
      },
      { ...plain, previewBytes: 4 },
    );
    assert.equal(line, '12:04:05.125 7f3a9c1e #1 → data 40B (compressed, wire 30B) |AAAA|…');
  });

  it('names anomalies and shows no preview without a payload', () => {
    const line = formatGrpcLine(
      {
        ...message,
        compressed: true,
        length: null,
        payload: null,
        anomalies: [{ code: 'UNSUPPORTED_ENCODING', message: 'zstd' }],
      },
      plain,
    );
    assert.equal(
      line,
      '12:04:05.125 7f3a9c1e #1 → data ?B (compressed, wire 7B) [UNSUPPORTED_ENCODING]',
    );
  });

  it('shows a decoded preview instead of the bytes', () => {
    const line = formatGrpcLine(message, { ...plain, decodedPreview: '{"name":"world"}' });
    assert.match(line, / data 7B \{"name":"world"\}$/);
    assert.doesNotMatch(line, /\|/);
  });

  it('hides the preview when previewBytes is 0', () => {
    assert.match(formatGrpcLine(message, { ...plain, previewBytes: 0 }), / data 7B$/);
  });

  it('writes the status on end lines', () => {
    assert.match(formatGrpcLine(ok, plain), /#3 ← end OK$/);
    const failed = formatGrpcLine(
      { ...ok, status: 5, statusName: 'NOT_FOUND', message: 'no user', synthetic: true, raw: null },
      plain,
    );
    assert.match(failed, /#3 ← end NOT_FOUND\(5\) "no user" \(trailers-only\)$/);
  });

  it('writes the error code, side and reason on error ends', () => {
    const line = formatGrpcLine(
      {
        ...ok,
        status: null,
        statusName: null,
        raw: null,
        error: { code: 'MESSAGE_TOO_LARGE', reason: 'too big', side: 'client' },
      },
      plain,
    );
    assert.match(line, /end error MESSAGE_TOO_LARGE by client: too big$/);
  });

  it('summarises the flow', () => {
    assert.equal(
      formatGrpcLine(flow, plain),
      '12:04:05.130 7f3a9c1e flow helloworld.Greeter/SayHello unary complete OK req=1 resp=1 7ms',
    );
    const failed = formatGrpcLine({ ...flow, state: 'error', status: null }, plain);
    assert.match(failed, /unary error req=1 resp=1 7ms$/);
  });

  it('writes no ANSI escapes without colour and some with it', () => {
    for (const envelope of [start, message, ok, flow]) {
      assert.equal(formatGrpcLine(envelope, plain).includes(ESC), false);
      assert.equal(formatGrpcLine(envelope, { color: true }).includes(ESC), true);
    }
  });

  it('colours OK green and errors red', () => {
    assert.ok(formatGrpcLine(ok, { color: true }).includes(`${ESC}32mOK${ESC}0m`));
    const error = formatGrpcLine(
      {
        ...ok,
        status: null,
        statusName: null,
        raw: null,
        error: { code: 'CANCEL', reason: 'r', side: 'client' },
      },
      { color: true },
    );
    assert.ok(error.includes(`${ESC}31merror CANCEL`));
  });
});

describe('formatGrpcLine, readable times and types', () => {
  it('shows grpc-timeout as a duration, not in its wire units', () => {
    const line = formatGrpcLine({ ...start, timeout: '9890m' }, plain);
    assert.match(line, / timeout=9\.89s /);
  });

  it('quotes a grpc-timeout that does not follow the grammar', () => {
    assert.match(formatGrpcLine({ ...start, timeout: '1.5S' }, plain), / timeout="1\.5S" /);
  });

  it('shows a long flow duration in seconds', () => {
    assert.match(formatGrpcLine({ ...flow, durationMs: 1514 }, plain), / 1\.51s$/);
  });

  it('names the message type before the decoded preview', () => {
    const line = formatGrpcLine(message, {
      ...plain,
      typeName: 'helloworld.HelloRequest',
      decodedPreview: '{"name":"world"}',
    });
    assert.match(line, / data 7B helloworld\.HelloRequest \{"name":"world"\}$/);
  });
});
