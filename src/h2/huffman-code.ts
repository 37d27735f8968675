/**
 * The HPACK Huffman code (RFC 7541 Appendix B) as its bit lengths: `HUFFMAN_CODE_LENGTHS[s]` is
 * the length of the code for byte `s` (0-255), and entry 256 is EOS. The code is canonical (codes
 * of each length are consecutive, in symbol order, shortest first), so the lengths determine the
 * codes; `HUFFMAN_CODES` derives them once at load time (e.g. `'0'` is 0x0 in 5 bits, byte 0 is
 * 0x1ff8 in 13 bits, EOS is 0x3fffffff in 30 bits, as the Appendix lists).
 */
// prettier-ignore
export const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  // 0x00-0x0f
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  // 0x10-0x1f
   6, 10, 10, 12, 13,  6,  8, 11, 10, 10,  8, 11,  8,  6,  6,  6,  // 0x20-0x2f
   5,  5,  5,  6,  6,  6,  6,  6,  6,  6,  7,  8, 15,  6, 12, 10,  // 0x30-0x3f
  13,  6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  // 0x40-0x4f
   7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  8, 13, 19, 13, 14,  6,  // 0x50-0x5f
  15,  5,  6,  5,  6,  5,  6,  6,  6,  5,  7,  7,  6,  6,  6,  5,  // 0x60-0x6f
   6,  7,  6,  5,  5,  6,  7,  7,  7,  7,  7, 15, 11, 14, 13, 28,  // 0x70-0x7f
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  // 0x80-0x8f
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  // 0x90-0x9f
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  // 0xa0-0xaf
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  // 0xb0-0xbf
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  // 0xc0-0xcf
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  // 0xd0-0xdf
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  // 0xe0-0xef
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  // 0xf0-0xff
  30,  // EOS
];

/** The EOS symbol (RFC 7541 §5.2): 30 one bits; never valid inside a string. */
export const HUFFMAN_EOS = 256;

/** `HUFFMAN_CODES[s]`: the code of symbol `s`, right-aligned in its `HUFFMAN_CODE_LENGTHS[s]` bits. */
export const HUFFMAN_CODES: readonly number[] = deriveCanonicalCodes(HUFFMAN_CODE_LENGTHS);

function deriveCanonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((_, symbol) => symbol);
  order.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0;
  let previous = lengths[order[0] as number] as number;
  order.forEach((symbol, rank) => {
    const length = lengths[symbol] as number;
    if (rank > 0) code = (code + 1) * 2 ** (length - previous);
    previous = length;
    codes[symbol] = code;
  });
  return codes;
}
