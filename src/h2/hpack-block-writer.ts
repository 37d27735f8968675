/**
 * The representation-level writer shared by the HPACK encoders: integers (RFC 7541 §5.1), string
 * literals (§5.2) and the static-table lookups (Appendix A). Strings are Latin-1, one octet per
 * character, as the decoder returns them.
 */
import type { HeaderList } from '../http2/channel-event.js';
import type { FieldRepresentation } from './create-hpack-decoder.js';
import { encodeHuffman, huffmanEncodedLength } from './hpack-huffman.js';
import { STATIC_TABLE } from './hpack-static-table.js';

/**
 * When string literals are Huffman-coded (§5.2): `shorter` (default) only when that saves bytes,
 * `always`, or `never`.
 */
export type HuffmanChoice = 'shorter' | 'always' | 'never';

/**
 * Names whose values are sent as never-indexed literals by default (RFC 7541 §7.1.3): credentials
 * an intermediary or a compression oracle must not be able to probe.
 */
export const DEFAULT_SENSITIVE_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
]);

/** Options common to both encoders. */
export interface FieldEncodingOptions {
  readonly huffman?: HuffmanChoice;
  /** Names (compared exactly) whose values are always never-indexed; default above. */
  readonly sensitiveNames?: ReadonlySet<string>;
}

interface StaticName {
  readonly index: number;
  readonly values: ReadonlyMap<string, number>;
}

const STATIC_NAMES: ReadonlyMap<string, StaticName> = (() => {
  const names = new Map<string, { index: number; values: Map<string, number> }>();
  STATIC_TABLE.forEach(([name, value], position) => {
    const index = position + 1;
    let entry = names.get(name);
    if (entry === undefined) names.set(name, (entry = { index, values: new Map() }));
    if (!entry.values.has(value)) entry.values.set(value, index);
  });
  return names;
})();

/** The static index of the exact field, or 0. */
export function staticFieldIndex(name: string, value: string): number {
  return STATIC_NAMES.get(name)?.values.get(value) ?? 0;
}

/** The static index of the first entry with this name (what Appendix C uses), or 0. */
export function staticNameIndex(name: string): number {
  return STATIC_NAMES.get(name)?.index ?? 0;
}

/** Whether field `index` of a list goes out never-indexed (§6.2.3). */
export function isSensitive(
  name: string,
  index: number,
  sensitiveNames: ReadonlySet<string>,
  representations: readonly FieldRepresentation[] | undefined,
): boolean {
  return representations?.[index] === 'neverIndexed' || sensitiveNames.has(name);
}

/** A growable output buffer for one header block. */
export class BlockWriter {
  bytes: Buffer;
  at = 0;

  constructor(
    estimate: number,
    private readonly huffman: HuffmanChoice,
  ) {
    this.bytes = Buffer.allocUnsafe(Math.max(64, estimate));
  }

  /** Room for a header list's fields: each at most 11 integer bytes plus its strings. */
  static estimate(headers: HeaderList): number {
    let size = 16;
    for (const [name, value] of headers) size += name.length + value.length + 16;
    return size;
  }

  /** An integer with a `prefixBits` prefix, the high bits of its first byte set to `first`. */
  integer(value: number, prefixBits: number, first: number): void {
    this.reserve(6);
    const limit = (1 << prefixBits) - 1;
    const bytes = this.bytes;
    if (value < limit) {
      bytes[this.at++] = first | value;
      return;
    }
    bytes[this.at++] = first | limit;
    let rest = value - limit;
    while (rest >= 128) {
      bytes[this.at++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    bytes[this.at++] = rest;
  }

  /** A string literal, Huffman-coded according to the encoder's choice. */
  string(value: string): void {
    const huffmanLength = this.huffman === 'never' ? value.length + 1 : huffmanEncodedLength(value);
    const useHuffman =
      this.huffman === 'always' || (this.huffman === 'shorter' && huffmanLength < value.length);
    const length = useHuffman ? huffmanLength : value.length;
    this.integer(length, 7, useHuffman ? 0x80 : 0);
    this.reserve(length);
    if (useHuffman) this.at = encodeHuffman(value, this.bytes, this.at);
    else this.at += this.bytes.write(value, this.at, 'latin1');
  }

  /** A literal field (§6.2) with first byte `first`, a `prefixBits` name index (0: literal name). */
  literal(first: number, prefixBits: number, nameIndex: number, name: string, value: string): void {
    this.integer(nameIndex, prefixBits, first);
    if (nameIndex === 0) this.string(name);
    this.string(value);
  }

  finish(): Buffer {
    return this.bytes.subarray(0, this.at);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + bytes));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }
}
