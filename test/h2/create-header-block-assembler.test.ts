/**
 * Header block assembly (RFC 9113 §4.3, §6.10): a block is HEADERS or PUSH_PROMISE plus
 * CONTINUATION frames up to END_HEADERS, contiguous on one stream, within the proxy's limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFrameParser } from '../../src/h2/create-frame-parser.js';
import {
  createHeaderBlockAssembler,
  type HeaderBlockAssembler,
  type HeaderBlockStep,
} from '../../src/h2/create-header-block-assembler.js';
import { encodeDataFrames, encodeHeadersFrames } from '../../src/h2/encode-frame.js';
import type { Frame } from '../../src/h2/frame.js';
import { FrameFlag, FrameType } from '../../src/h2/frame-constants.js';
import { encodeFrame } from '../helpers/raw-h2.js';

function framesOf(...chunks: Uint8Array[]): readonly Frame[] {
  const { frames, error } = createFrameParser({ sender: 'server', preface: false }).push(
    Buffer.concat(chunks),
  );
  assert.equal(error, null, error?.reason);
  return frames;
}

function feed(assembler: HeaderBlockAssembler, frames: readonly Frame[]): HeaderBlockStep[] {
  return frames.map((frame) => assembler.accept(frame));
}

const continuation = (streamId: number, payload: number[], end: boolean) =>
  encodeFrame(
    FrameType.CONTINUATION,
    end ? FrameFlag.END_HEADERS : 0,
    streamId,
    Buffer.from(payload),
  );

describe('createHeaderBlockAssembler', () => {
  test('returns a one-frame block as a view of the HEADERS payload', () => {
    const frames = framesOf(
      encodeHeadersFrames(1, Buffer.from([0x82, 0x84]), { endStream: true }),
      encodeDataFrames(1, Buffer.from('x')),
    );
    const [headers, data] = feed(createHeaderBlockAssembler(), frames);
    assert.equal(headers?.kind, 'blockComplete');
    if (headers?.kind !== 'blockComplete') return;
    assert.deepEqual([...headers.block.block], [0x82, 0x84]);
    assert.equal(headers.block.block.buffer, frames[0]?.bytes.buffer, 'no copy');
    assert.deepEqual(
      [
        headers.block.type,
        headers.block.streamId,
        headers.block.endStream,
        headers.block.continuations,
      ],
      [FrameType.HEADERS, 1, true, 0],
    );
    assert.equal(data?.kind, 'notHeaderBlock');
  });

  test('joins HEADERS and CONTINUATION fragments, padding and priority removed', () => {
    const headers = encodeFrame(
      FrameType.HEADERS,
      FrameFlag.PADDED | FrameFlag.PRIORITY,
      3,
      Buffer.from([2, 0, 0, 0, 1, 9, 0x82, 0, 0]),
    );
    const assembler = createHeaderBlockAssembler();
    const steps = feed(
      assembler,
      framesOf(headers, continuation(3, [], false), continuation(3, [0x84, 0x86], true)),
    );
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['blockContinues', 'blockContinues', 'blockComplete'],
    );
    const last = steps[2];
    if (last?.kind !== 'blockComplete') return;
    assert.deepEqual([...last.block.block], [0x82, 0x84, 0x86]);
    assert.deepEqual(
      [last.block.padLength, last.block.continuations, last.block.priority?.weight],
      [2, 2, 10],
    );
    assert.equal(assembler.inBlock, false);
  });

  test('assembles PUSH_PROMISE blocks with their promised stream', () => {
    const push = encodeFrame(FrameType.PUSH_PROMISE, 0, 1, Buffer.from([0, 0, 0, 2, 0x82]));
    const steps = feed(createHeaderBlockAssembler(), framesOf(push, continuation(1, [0x84], true)));
    const last = steps[1];
    assert.equal(last?.kind, 'blockComplete');
    if (last?.kind !== 'blockComplete') return;
    assert.deepEqual(
      [last.block.type, last.block.promisedStreamId, [...last.block.block]],
      [FrameType.PUSH_PROMISE, 2, [0x82, 0x84]],
    );
  });

  test('refuses another frame inside a block as PROTOCOL_ERROR (RFC 9113 §6.10)', () => {
    const open = encodeHeadersFrames(1, Buffer.alloc(20_000, 0x82)).subarray(0, 9 + 16_384);
    for (const intruder of [
      encodeDataFrames(1, Buffer.from('x')),
      continuation(3, [0x82], true),
      encodeFrame(0x0a, 0, 0, Buffer.alloc(0)),
    ]) {
      const assembler = createHeaderBlockAssembler();
      const steps = feed(assembler, framesOf(open, intruder));
      const last = steps[1];
      assert.equal(last?.kind, 'error');
      if (last?.kind !== 'error') return;
      assert.equal(last.error.code, 'PROTOCOL_ERROR');
      assert.equal(last.error.cause, 'interruptedHeaderBlock');
      assert.match(last.error.reason, /§6\.10/);
      assert.equal(assembler.accept(framesOf(continuation(1, [], true))[0] as Frame).kind, 'error');
    }
  });

  test('refuses a CONTINUATION without an open block', () => {
    const [step] = feed(createHeaderBlockAssembler(), framesOf(continuation(1, [0x82], true)));
    assert.equal(step?.kind === 'error' && step.error.cause, 'unexpectedContinuation');
  });

  test('stops a CONTINUATION flood at the frame count limit', () => {
    const assembler = createHeaderBlockAssembler({ maxContinuations: 3 });
    const frames = framesOf(
      encodeFrame(FrameType.HEADERS, 0, 1, Buffer.from([0x82])),
      ...Array.from({ length: 5 }, () => continuation(1, [], false)),
    );
    const kinds = feed(assembler, frames).map((s) => s.kind);
    assert.deepEqual(kinds, [
      'blockContinues',
      'blockContinues',
      'blockContinues',
      'blockContinues',
      'error',
      'error',
    ]);
    const error = assembler.accept(frames[0] as Frame);
    assert.equal(error.kind === 'error' && error.error.code, 'ENHANCE_YOUR_CALM');
    assert.equal(error.kind === 'error' && error.error.cause, 'tooManyContinuations');
  });

  test('stops a block at the byte limit before holding more than the limit', () => {
    const assembler = createHeaderBlockAssembler({ maxBlockBytes: 20_000 });
    const frames = framesOf(encodeHeadersFrames(1, Buffer.alloc(30_000, 0x82)));
    const steps = feed(assembler, frames);
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['blockContinues', 'error'],
    );
    assert.equal(steps[1]?.kind === 'error' && steps[1].error.cause, 'headerBlockTooLarge');
    assert.equal(assembler.bufferedBytes, 0);
    const single = createHeaderBlockAssembler({ maxBlockBytes: 10 });
    const [step] = feed(single, framesOf(encodeHeadersFrames(1, Buffer.alloc(11, 0x82))));
    assert.equal(step?.kind === 'error' && step.error.cause, 'headerBlockTooLarge');
  });
});
