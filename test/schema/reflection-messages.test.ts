import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createGrpcFrameReader,
  decodeReflectionResponse,
  encodeGrpcFrame,
  encodeReflectionRequest,
  type GrpcFrameResult,
} from '../../src/schema/reflection-messages.js';
import { hex } from './schema-fixtures.js';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('reflection request encoding', () => {
  it('writes file_containing_symbol as field 4', () => {
    assert.equal(
      toHex(encodeReflectionRequest({ kind: 'fileContainingSymbol', symbol: 'a.B' })),
      '2203612e42',
    );
  });

  it('writes file_by_filename as field 3 and a host as field 1 when given', () => {
    assert.equal(
      toHex(encodeReflectionRequest({ kind: 'fileByFilename', filename: 'x.proto' }, 'h')),
      '0a0168' + '1a07782e70726f746f',
    );
  });
});

describe('reflection response decoding', () => {
  it('reads the file descriptors of a file_descriptor_response, skipping other fields', () => {
    const response = decodeReflectionResponse(hex('0a 01 68  12 02 2200  22 06 0a0141 0a0142'));
    assert.deepEqual(response, {
      kind: 'files',
      files: [Uint8Array.of(0x41), Uint8Array.of(0x42)],
    });
  });

  it('reads an error_response', () => {
    assert.deepEqual(decodeReflectionResponse(hex('3a 05 0805 120178')), {
      kind: 'error',
      code: 5,
      message: 'x',
    });
  });

  it('reports other answers as other and malformed bytes as a problem', () => {
    assert.deepEqual(decodeReflectionResponse(hex('32 00')), { kind: 'other' });
    assert.match(
      String(decodeReflectionResponse(hex('22 05 0a'))),
      /malformed ServerReflectionResponse/,
    );
  });
});

describe('gRPC frame reader', () => {
  const first = Uint8Array.of(1, 2, 3);
  const second = new Uint8Array(0);
  const stream = Buffer.concat([encodeGrpcFrame(first), encodeGrpcFrame(second)]);

  it('prefixes a message with flag 0 and its big-endian length', () => {
    assert.equal(toHex(encodeGrpcFrame(first)), '0000000003010203');
  });

  it('reads the same messages from every split of the stream into three chunks', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const reader = createGrpcFrameReader(100);
        const results: GrpcFrameResult[] = [
          ...reader.push(stream.subarray(0, a)),
          ...reader.push(stream.subarray(a, b)),
          ...reader.push(stream.subarray(b)),
        ];
        assert.deepEqual(
          results,
          [
            { kind: 'message', message: first },
            { kind: 'message', message: second },
          ],
          `split at ${a}, ${b}`,
        );
        assert.equal(reader.pending, 0);
      }
    }
  });

  it('refuses a message above the limit before buffering it, and anything after', () => {
    const reader = createGrpcFrameReader(2);
    assert.deepEqual(reader.push(stream.subarray(0, 5)), [
      { kind: 'error', reason: 'message of 3 bytes exceeds 2' },
    ]);
    assert.deepEqual(reader.push(stream.subarray(5)), []);
  });

  it('refuses a compressed message', () => {
    assert.deepEqual(createGrpcFrameReader(100).push(hex('01 00000001 ff')), [
      { kind: 'error', reason: 'compressed message' },
    ]);
  });
});
