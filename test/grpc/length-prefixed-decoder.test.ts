import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { createLengthPrefixedDecoder } from '../../src/grpc/length-prefixed-decoder.js';
import { concat, frame } from './grpc-transcript.js';

describe('createLengthPrefixedDecoder', () => {
  it('reads several messages from one chunk', () => {
    const decoder = createLengthPrefixedDecoder(16);
    const result = decoder.decode(concat(frame('ab'), frame('cd', 1), frame('')));
    assert.deepEqual(result, {
      messages: [
        { compressed: false, wireLength: 2, raw: frame('ab') },
        { compressed: true, wireLength: 2, raw: frame('cd', 1) },
        { compressed: false, wireLength: 0, raw: frame('') },
      ],
      error: null,
    });
    assert.equal(decoder.midMessage, false);
  });

  it('holds a partial prefix and a partial payload as mid-message', () => {
    const decoder = createLengthPrefixedDecoder(16);
    const message = frame('abcdef');
    assert.equal(decoder.decode(message.subarray(0, 3)).messages.length, 0);
    assert.equal(decoder.midMessage, true);
    assert.equal(decoder.decode(message.subarray(3, 8)).messages.length, 0);
    assert.equal(decoder.midMessage, true);
    assert.deepEqual(decoder.decode(message.subarray(8)).messages[0]?.raw, message);
    assert.equal(decoder.midMessage, false);
  });

  it('keeps returning its error after a bad prefix', () => {
    const decoder = createLengthPrefixedDecoder(16);
    const first = decoder.decode(frame('x', 0x80));
    assert.equal(first.error?.code, 'UNKNOWN_FLAGS');
    assert.deepEqual(decoder.decode(frame('fine')), { messages: [], error: first.error });
  });

  it('returns one frozen empty result while a message is incomplete', () => {
    const decoder = createLengthPrefixedDecoder(16);
    const first = decoder.decode(new Uint8Array([0]));
    const second = decoder.decode(new Uint8Array([0]));
    assert.equal(first, second);
    assert.ok(Object.isFrozen(first));
  });
});

test('reassembles a message far larger than its first buffer from small chunks', () => {
  const payload = Uint8Array.from({ length: 300 * 1024 + 7 }, (_, i) => (i * 31) % 251);
  const wire = new Uint8Array(5 + payload.length);
  new DataView(wire.buffer).setUint32(1, payload.length);
  wire.set(payload, 5);
  for (const size of [1000, 65_536, 70_000]) {
    const decoder = createLengthPrefixedDecoder(1024 * 1024);
    const messages = [];
    for (let offset = 0; offset < wire.length; offset += size) {
      messages.push(...decoder.decode(wire.subarray(offset, offset + size)).messages);
    }
    assert.equal(messages.length, 1, `chunks of ${size}`);
    assert.deepEqual(messages[0]?.raw, wire);
    assert.equal(decoder.midMessage, false);
  }
});
