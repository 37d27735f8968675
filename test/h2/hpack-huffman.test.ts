/**
 * HPACK Huffman coding (RFC 7541 §5.2, Appendix B): the code derived from its lengths is the
 * Appendix's, every byte round-trips, and the padding and EOS rules hold for any input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  decodeHuffman,
  encodeHuffman,
  huffmanEncodedLength,
  maxHuffmanDecodedLength,
} from '../../src/h2/hpack-huffman.js';
import { HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES, HUFFMAN_EOS } from '../../src/h2/huffman-code.js';

function encode(text: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(text));
  assert.equal(encodeHuffman(text, out, 0), out.length);
  return out;
}

function decode(bytes: Uint8Array): string | null {
  const out = Buffer.alloc(maxHuffmanDecodedLength(bytes.length));
  const end = decodeHuffman(bytes, 0, bytes.length, out, 0);
  return end < 0 ? null : out.toString('latin1', 0, end);
}

describe('HPACK Huffman code', () => {
  test('derives the codes Appendix B lists', () => {
    const listed: readonly [number, number, number][] = [
      [0, 0x1ff8, 13],
      [1, 0x7fffd8, 23],
      [2, 0xfffffe2, 28],
      [9, 0xffffea, 24],
      [10, 0x3ffffffc, 30],
      [13, 0x3ffffffd, 30],
      [19, 0xffffff0, 28],
      [22, 0x3ffffffe, 30],
      [0x20, 0x14, 6],
      [0x26, 0xf8, 8],
      [0x30, 0x0, 5],
      [0x3a, 0x5c, 7],
      [0x7a, 0x7b, 7],
      [HUFFMAN_EOS, 0x3fffffff, 30],
    ];
    for (const [symbol, code, length] of listed) {
      assert.deepEqual([HUFFMAN_CODES[symbol], HUFFMAN_CODE_LENGTHS[symbol]], [code, length]);
    }
  });

  test('is a complete prefix code over 257 symbols', () => {
    assert.equal(HUFFMAN_CODES.length, 257);
    const kraft = HUFFMAN_CODE_LENGTHS.reduce((sum, length) => sum + 2 ** -length, 0);
    assert.equal(kraft, 1);
    const seen = new Set(HUFFMAN_CODES.map((code, s) => `${HUFFMAN_CODE_LENGTHS[s]}:${code}`));
    assert.equal(seen.size, 257);
  });

  test('round-trips every byte value, alone and together', () => {
    for (let byte = 0; byte < 256; byte++) {
      const text = String.fromCharCode(byte);
      assert.equal(decode(encode(text)), text, `byte ${byte}`);
    }
    const all = Array.from({ length: 256 }, (_, byte) => String.fromCharCode(byte)).join('');
    assert.equal(decode(encode(all)), all);
  });

  test('encodes the Appendix C strings as the RFC shows', () => {
    assert.equal(encode('www.example.com').toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
    assert.equal(encode('307').toString('hex'), '640eff');
    assert.equal(decode(Buffer.from('9bd9ab', 'hex')), 'gzip');
  });

  test('accepts up to 7 bits of all-ones padding and refuses anything else (§5.2)', () => {
    // '0' is 00000: 00000111 is '0' + 3 padding bits.
    assert.equal(decode(Buffer.from([0b00000111])), '0');
    assert.equal(decode(Buffer.from([0b00000110])), null, 'padding not all ones');
    assert.equal(decode(Buffer.from([0xff])), null, '8 bits of padding');
    assert.equal(decode(Buffer.from([0x07, 0xff])), null, '11 bits of padding');
    assert.equal(decode(Buffer.from([0xff, 0xff, 0xff, 0xfc])), null, 'EOS inside');
    assert.equal(decode(Buffer.alloc(0)), '');
  });

  test('round-trips any string and never overruns its bound on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = Buffer.from(bytes).toString('latin1');
        assert.equal(decode(encode(text)), text);
        const out = Buffer.alloc(maxHuffmanDecodedLength(bytes.length) + 1, 0xaa);
        const end = decodeHuffman(bytes, 0, bytes.length, out, 0);
        assert.ok(end <= maxHuffmanDecodedLength(bytes.length));
        assert.equal(out[out.length - 1], 0xaa);
      }),
      { numRuns: 2000 },
    );
  });
});
