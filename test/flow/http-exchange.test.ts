import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createBodyCapture } from '../../src/flow/capture-body.js';
import { createHttpExchangeTracker } from '../../src/flow/http-exchange.js';
import type { ChannelEvent, HeaderList } from '../../src/http2/channel-event.js';

const REQUEST: HeaderList = [
  [':method', 'POST'],
  [':path', '/upload'],
  [':authority', 'files.local'],
  ['x-b', '1'],
  ['x-a', '2'],
  ['x-b', '3'],
];

function event(direction: 'send' | 'receive', rest: Record<string, unknown>): ChannelEvent {
  return { streamId: 's', direction, time: 1000, ...rest } as ChannelEvent;
}

describe('createBodyCapture', () => {
  it('keeps the first bytes up to the cap and counts the rest, however the body is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        (chunks, cap) => {
          const capture = createBodyCapture(cap);
          for (const chunk of chunks) capture.push(chunk);
          const whole = Buffer.concat(chunks);
          const body = capture.finish();
          assert.deepEqual(Buffer.from(body.bytes), whole.subarray(0, cap));
          assert.equal(body.size, whole.length);
          assert.equal(body.truncated, whole.length > cap);
        },
      ),
    );
  });

  it('copies what it keeps, so the caller may reuse its chunks', () => {
    const capture = createBodyCapture(10);
    const chunk = Buffer.from('abc');
    capture.push(chunk);
    chunk.fill(0);
    assert.equal(Buffer.from(capture.finish().bytes).toString(), 'abc');
  });
});

describe('createHttpExchangeTracker', () => {
  it('carries both header lists, the trailers and the bodies up to the cap with their true sizes', () => {
    const tracker = createHttpExchangeTracker('s', REQUEST, null, null, 4);
    const response: HeaderList = [
      [':status', '201'],
      ['x-z', 'last'],
    ];
    const steps: ChannelEvent[] = [
      event('send', { kind: 'headersReceived', headers: REQUEST, endStream: false }),
      event('send', { kind: 'dataReceived', data: Buffer.from('hel') }),
      event('send', { kind: 'dataReceived', data: Buffer.from('lo!') }),
      event('send', { kind: 'trailersReceived', headers: [['x-sum', 'ok']] }),
      event('receive', { kind: 'headersReceived', headers: response, endStream: false }),
      event('receive', { kind: 'dataReceived', data: Buffer.from('ok') }),
      event('receive', { kind: 'trailersReceived', headers: [['x-done', '1']] }),
    ];
    const results = steps.map((step) => tracker.push(step));
    const exchange = results.at(-1);
    assert.ok(exchange);
    assert.deepEqual(results.slice(0, -1), [null, null, null, null, null, null]);
    assert.deepEqual(exchange.requestHeaders, REQUEST);
    assert.deepEqual(exchange.responseHeaders, response);
    assert.deepEqual(exchange.requestTrailers, [['x-sum', 'ok']]);
    assert.deepEqual(exchange.responseTrailers, [['x-done', '1']]);
    assert.equal(Buffer.from(exchange.requestBody?.bytes ?? []).toString(), 'hell');
    assert.deepEqual([exchange.requestBody?.size, exchange.requestBody?.truncated], [6, true]);
    assert.equal(Buffer.from(exchange.responseBody?.bytes ?? []).toString(), 'ok');
    assert.deepEqual([exchange.responseBody?.size, exchange.responseBody?.truncated], [2, false]);
    assert.deepEqual([exchange.status, exchange.requestBytes, exchange.responseBytes], [201, 6, 2]);
  });

  it('captures no bodies with a cap of 0', () => {
    const tracker = createHttpExchangeTracker('s', REQUEST, null, null, 0);
    tracker.push(event('send', { kind: 'dataReceived', data: Buffer.from('x') }));
    const exchange = tracker.push(
      event('receive', { kind: 'headersReceived', headers: [[':status', '204']], endStream: true }),
    );
    assert.deepEqual([exchange?.requestBody, exchange?.responseBody], [null, null]);
    assert.deepEqual([exchange?.requestTrailers, exchange?.responseTrailers], [[], []]);
  });

  it('has no response headers when the stream was reset before an answer', () => {
    const tracker = createHttpExchangeTracker('s', REQUEST, null, null, 4);
    const exchange = tracker.push(
      event('send', {
        kind: 'streamReset',
        code: 'CANCEL',
        http2Code: 8,
        reason: 'client reset the stream (CANCEL)',
        side: 'client',
      }),
    );
    assert.equal(exchange?.responseHeaders, null);
    assert.equal(exchange?.error?.code, 'CANCEL');
  });
});
