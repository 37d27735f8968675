import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeGrpcMessage } from '../../src/grpc/decode-grpc-message.js';

describe('decodeGrpcMessage', () => {
  it('returns plain ASCII unchanged', () => {
    assert.equal(decodeGrpcMessage('not found'), 'not found');
  });

  it('decodes percent escapes as UTF-8', () => {
    assert.equal(decodeGrpcMessage('caf%C3%A9 %E2%9C%93 %f0%9f%98%80'), 'café ✓ 😀');
  });

  it('leaves invalid percent sequences as they are', () => {
    assert.equal(decodeGrpcMessage('100% sure %zz %4'), '100% sure %zz %4');
    assert.equal(decodeGrpcMessage('%'), '%');
  });

  it('replaces bytes that are not UTF-8 with U+FFFD', () => {
    assert.equal(decodeGrpcMessage('bad %FF byte'), 'bad \ufffd byte');
  });

  it('reads unescaped UTF-8 handed over as Latin-1', () => {
    const latin1 = Buffer.from('café', 'utf8').toString('latin1');
    assert.equal(decodeGrpcMessage(latin1), 'café');
  });

  it('keeps characters beyond Latin-1', () => {
    assert.equal(decodeGrpcMessage('✓ and 😀 %21'), '✓ and 😀 !');
  });
});
