/**
 * HPACK Huffman coding (RFC 7541 §5.2, Appendix B).
 *
 * Decoding runs a finite-state machine over 4-bit nibbles, built once at load time from the code:
 * a state is an internal node of the code tree, and each (state, nibble) entry says which node
 * the four bits lead to and which byte, if any, they complete. No code is shorter than 5 bits, so
 * a nibble completes at most one byte. The machine also encodes the §5.2 rules: reaching EOS is an
 * error, and a string may only end at the root or on the all-ones path at most 7 bits deep
 * (padding is the most significant bits of EOS, shorter than 8 bits).
 */
import { HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES, HUFFMAN_EOS } from './huffman-code.js';

const EMITS = 0x100;
const FAILS = 0x200;

/** `TRANSITIONS[state * 16 + nibble]`: next state (bits 0-7), EMITS, FAILS, byte (bits 16-23). */
const TRANSITIONS = new Uint32Array(256 * 16);
/** `ACCEPTS[state]`: 1 when a string may end in this state. */
const ACCEPTS = new Uint8Array(256);

buildDecoder();

function buildDecoder(): void {
  // Tree of internal nodes: children[node * 2 + bit] is an internal node (>= 0) or -1 - symbol.
  const children: number[] = [0, 0];
  let nodes = 1;
  const unset = 0x7fffffff;
  children.fill(unset);
  for (let symbol = 0; symbol <= HUFFMAN_EOS; symbol++) {
    const length = HUFFMAN_CODE_LENGTHS[symbol] as number;
    const code = HUFFMAN_CODES[symbol] as number;
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const branch = node * 2 + (Math.floor(code / 2 ** bit) & 1);
      if (bit === 0) {
        children[branch] = -1 - symbol;
      } else {
        if (children[branch] === unset) {
          children[branch] = nodes++;
          children.push(unset, unset);
        }
        node = children[branch] as number;
      }
    }
  }
  // The accepting states: the root and the all-ones path up to 7 bits deep (§5.2).
  let ones = 0;
  ACCEPTS[0] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    ones = children[ones * 2 + 1] as number;
    ACCEPTS[ones] = 1;
  }
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = children[node * 2 + ((nibble >> bit) & 1)] as number;
        if (next >= 0) {
          node = next;
          continue;
        }
        const symbol = -1 - next;
        if (symbol === HUFFMAN_EOS) {
          entry = FAILS;
          break;
        }
        entry = EMITS | (symbol << 16);
        node = 0;
      }
      TRANSITIONS[state * 16 + nibble] = entry & FAILS ? FAILS : entry | node;
    }
  }
}

/** The most bytes `length` Huffman-coded bytes can decode to: every code is at least 5 bits. */
export function maxHuffmanDecodedLength(length: number): number {
  return Math.floor((length * 8) / 5);
}

/**
 * Decodes `source[start, end)` into `target` from `at`; returns the end offset in `target`, or -1
 * when the string is not valid (EOS inside it, padding longer than 7 bits or not all ones).
 * `target` must hold `maxHuffmanDecodedLength(end - start)` bytes from `at`.
 */
export function decodeHuffman(
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  at: number,
): number {
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = source[i] as number;
    let entry = TRANSITIONS[(state << 4) | (byte >> 4)] as number;
    if (entry & FAILS) return -1;
    if (entry & EMITS) target[at++] = entry >>> 16;
    entry = TRANSITIONS[((entry & 0xff) << 4) | (byte & 0x0f)] as number;
    if (entry & FAILS) return -1;
    if (entry & EMITS) target[at++] = entry >>> 16;
    state = entry & 0xff;
  }
  return ACCEPTS[state] === 1 ? at : -1;
}

/** Bytes the Huffman coding of `value` (Latin-1, one byte per character) takes. */
export function huffmanEncodedLength(value: string): number {
  let bits = 0;
  for (let i = 0; i < value.length; i++) {
    bits += HUFFMAN_CODE_LENGTHS[value.charCodeAt(i) & 0xff] as number;
  }
  return Math.ceil(bits / 8);
}

/**
 * Writes the Huffman coding of `value` (Latin-1) into `target` at `at`, padded with the high bits
 * of EOS (all ones, §5.2); returns the end offset. `target` must hold `huffmanEncodedLength(value)`.
 */
export function encodeHuffman(value: string, target: Uint8Array, at: number): number {
  // `pending` holds fewer than 8 bits between symbols, so pending * 2^30 + code stays exact.
  let pending = 0;
  let pendingBits = 0;
  for (let i = 0; i < value.length; i++) {
    const symbol = value.charCodeAt(i) & 0xff;
    const length = HUFFMAN_CODE_LENGTHS[symbol] as number;
    pending = pending * 2 ** length + (HUFFMAN_CODES[symbol] as number);
    pendingBits += length;
    while (pendingBits >= 8) {
      pendingBits -= 8;
      const scale = 2 ** pendingBits;
      const byte = Math.floor(pending / scale);
      target[at++] = byte;
      pending -= byte * scale;
    }
  }
  if (pendingBits > 0) {
    target[at++] = (pending << (8 - pendingBits)) | (0xff >> pendingBits);
  }
  return at;
}
