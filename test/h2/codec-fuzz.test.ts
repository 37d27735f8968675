/**
 * Hostile bytes never crash the codec: random input to the frame parser, the header block
 * assembler and the HPACK decoder yields frames, blocks and fields or one error value with a stable
 * code, never an exception, and never holds more than its bounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createFrameParser } from '../../src/h2/create-frame-parser.js';
import { createHeaderBlockAssembler } from '../../src/h2/create-header-block-assembler.js';
import { createHpackDecoder } from '../../src/h2/create-hpack-decoder.js';
import { ErrorCode } from '../../src/h2/error-code.js';

const CODES = new Set(Object.keys(ErrorCode));

describe('codec on random input', () => {
  test('the HPACK decoder returns fields or a COMPRESSION_ERROR, never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (blocks) => {
        const decoder = createHpackDecoder({ tableSizeLimit: 4096, maxHeaderListBytes: 2048 });
        for (const block of blocks) {
          const result = decoder.decode(block);
          if (result.kind === 'failed') {
            assert.equal(result.error.code, 'COMPRESSION_ERROR');
            return;
          }
          assert.ok(decoder.tableSize <= decoder.maxTableSize);
          const returned = result.headers.reduce(
            (sum, [n, v]) => sum + n.length + v.length + 32,
            0,
          );
          assert.ok(returned <= 2048);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('the frame parser and assembler return frames or one coded error, never throw', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 8 }),
        (client, chunks) => {
          const parser = createFrameParser({
            sender: client ? 'client' : 'server',
            preface: false,
          });
          const assembler = createHeaderBlockAssembler({ maxContinuations: 2, maxBlockBytes: 100 });
          for (const chunk of chunks) {
            const { frames, error } = parser.push(chunk);
            for (const frame of frames) {
              const step = assembler.accept(frame);
              if (step.kind === 'error') assert.ok(CODES.has(step.error.code));
            }
            assert.ok(parser.bufferedBytes <= 9 + parser.maxFrameSize);
            assert.ok(assembler.bufferedBytes <= 100);
            if (error !== null) {
              assert.ok(CODES.has(error.code), error.code);
              return;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
