import type { HeaderPair } from '../http2/channel-event.js';
import { type CodecError, type CodecErrorCause, codecError } from './codec-error.js';
import { DEFAULT_HEADER_TABLE_SIZE } from './frame-constants.js';
import { DynamicTable, ENTRY_OVERHEAD_BYTES } from './hpack-dynamic-table.js';
import { decodeHuffman, maxHuffmanDecodedLength } from './hpack-huffman.js';
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './hpack-static-table.js';

/**
 * How a field was represented on the wire (RFC 7541 §6): an index, or a literal with incremental
 * indexing, without indexing, or never indexed. An intermediary re-encoding a field must keep
 * `neverIndexed` (§6.2.3, §7.1.3).
 */
export type FieldRepresentation =
  'indexed' | 'incrementalIndexing' | 'withoutIndexing' | 'neverIndexed';

export interface HpackDecoderOptions {
  /**
   * The SETTINGS_HEADER_TABLE_SIZE the decoding side (the receiver of these blocks) advertised,
   * in octets; default 4096 (RFC 9113 §6.5.2). Follow its changes with `setTableSizeLimit`.
   */
  readonly tableSizeLimit?: number;
  /**
   * The most dynamic-table octets this decoder keeps, whatever the receiver allows; default
   * 64 KiB. A sender that uses a larger table is followed exactly until it references an entry
   * beyond the cap, which is then a COMPRESSION_ERROR (`badIndex`): the tables of both ends always
   * hold the newest entries of one insertion sequence, so a smaller table can only miss entries,
   * never decode a wrong one.
   */
  readonly tableSizeCap?: number;
  /**
   * The header list size above which fields are no longer returned (RFC 9113 §6.5.2 counting:
   * name + value + 32 per field); default 64 KiB, as the proxy's MAX_HEADER_LIST_BYTES. The block
   * is still decoded to its end so the dynamic table stays in step.
   */
  readonly maxHeaderListBytes?: number;
}

export const DEFAULT_HPACK_TABLE_SIZE_CAP = 64 * 1024;
export const DEFAULT_MAX_HEADER_LIST_BYTES = 64 * 1024;

/** What `decode` made of one complete header block. */
export type HpackDecodeResult = HpackDecoded | HpackDecodeFailed;

export interface HpackDecoded {
  readonly kind: 'decoded';
  /**
   * The fields in wire order, names and values exactly as sent (Latin-1: one character per
   * octet). When `tooLarge`, only the fields before the one that crossed the limit.
   */
  readonly headers: readonly HeaderPair[];
  /** `representations[i]` is how `headers[i]` was sent. */
  readonly representations: readonly FieldRepresentation[];
  /** The size of the whole decoded list (RFC 9113 §6.5.2), including fields not returned. */
  readonly listBytes: number;
  /** True when `listBytes` exceeds `maxHeaderListBytes`. */
  readonly tooLarge: boolean;
  /** Dynamic table size updates at the start of the block (§6.3), in order; usually none. */
  readonly tableSizeUpdates: readonly number[];
}

export interface HpackDecodeFailed {
  readonly kind: 'failed';
  /** A COMPRESSION_ERROR (RFC 9113 §4.3); the decoder is unusable from now on. */
  readonly error: CodecError;
}

/**
 * An HPACK decoder (RFC 7541) for one direction of one connection: blocks must be given in wire
 * order, each complete (see the header block assembler). Decoding is all or nothing: a block
 * either decodes or fails with no fields, and after a failure every later `decode` returns the
 * same error, since the table can no longer be trusted.
 */
export interface HpackDecoder {
  decode(block: Uint8Array): HpackDecodeResult;
  /**
   * Applies the receiver's SETTINGS_HEADER_TABLE_SIZE: the bound on size updates (§4.2, §6.3).
   * The table's maximum size becomes `octets` (capped), evicting at once when it shrinks; a
   * sender that keeps a smaller table is still followed exactly, as above. A relay calls it with
   * the larger of the old and new value when the SETTINGS passes, and with the new value once it
   * is acknowledged.
   */
  setTableSizeLimit(octets: number): void;
  readonly tableSizeLimit: number;
  /** The table's current maximum size in octets: the last update or limit, capped. */
  readonly maxTableSize: number;
  /** Octets in the dynamic table now (§4.1). */
  readonly tableSize: number;
  /** The dynamic table, newest first (for tests and diagnostics). */
  tableEntries(): HeaderPair[];
  readonly error: CodecError | null;
}

export function createHpackDecoder(options: HpackDecoderOptions = {}): HpackDecoder {
  return new Decoder(
    options.tableSizeLimit ?? DEFAULT_HEADER_TABLE_SIZE,
    options.tableSizeCap ?? DEFAULT_HPACK_TABLE_SIZE_CAP,
    options.maxHeaderListBytes ?? DEFAULT_MAX_HEADER_LIST_BYTES,
  );
}

const NO_UPDATES: readonly number[] = Object.freeze([]);
/** Huffman output for strings up to 4 KiB, shared: decoding is synchronous. */
const SCRATCH = Buffer.allocUnsafe(4096);
const MAX_INTEGER = 0xffffffff;

class Decoder implements HpackDecoder {
  error: CodecError | null = null;
  tableSizeLimit: number;
  private readonly table: DynamicTable;
  private block: Buffer = SCRATCH;
  private at = 0;
  private failure: CodecError | null = null;

  constructor(
    limit: number,
    private readonly cap: number,
    private readonly maxListBytes: number,
  ) {
    checkOctets(limit);
    checkOctets(cap);
    this.tableSizeLimit = limit;
    this.table = new DynamicTable(Math.min(limit, cap));
  }

  get maxTableSize(): number {
    return this.table.maxSize;
  }

  get tableSize(): number {
    return this.table.size;
  }

  tableEntries(): HeaderPair[] {
    return this.table.entries();
  }

  setTableSizeLimit(octets: number): void {
    checkOctets(octets);
    this.tableSizeLimit = octets;
    this.table.resize(Math.min(octets, this.cap));
  }

  decode(input: Uint8Array): HpackDecodeResult {
    if (this.error !== null) return { kind: 'failed', error: this.error };
    const block = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.block = block;
    this.at = 0;
    const end = block.length;
    const headers: HeaderPair[] = [];
    const representations: FieldRepresentation[] = [];
    let updates: number[] | null = null;
    let listBytes = 0;
    let tooLarge = false;
    let fieldsSeen = false;
    while (this.at < end) {
      const first = block[this.at] as number;
      let pair: HeaderPair | undefined;
      let representation: FieldRepresentation;
      if (first & 0x80) {
        pair = this.lookup(this.readInteger(7));
        representation = 'indexed';
      } else if (first & 0x40) {
        pair = this.readLiteral(6);
        if (pair !== undefined) this.table.insert(pair);
        representation = 'incrementalIndexing';
      } else if (first & 0x20) {
        if (fieldsSeen) {
          return this.fail(
            'badTableSizeUpdate',
            'dynamic table size update after a header field (RFC 7541 §4.2)',
          );
        }
        const size = this.readInteger(5);
        if (size < 0) return this.fail(this.failedCause(), this.failedReason());
        if (size > this.tableSizeLimit) {
          return this.fail(
            'badTableSizeUpdate',
            `dynamic table size update to ${size} exceeds the limit ${this.tableSizeLimit} (RFC 7541 §6.3)`,
          );
        }
        this.table.resize(Math.min(size, this.cap));
        (updates ??= []).push(size);
        continue;
      } else {
        pair = this.readLiteral(4);
        representation = first & 0x10 ? 'neverIndexed' : 'withoutIndexing';
      }
      if (pair === undefined) return this.fail(this.failedCause(), this.failedReason());
      fieldsSeen = true;
      listBytes += pair[0].length + pair[1].length + ENTRY_OVERHEAD_BYTES;
      if (tooLarge) continue;
      if (listBytes > this.maxListBytes) {
        tooLarge = true;
        continue;
      }
      headers.push(pair);
      representations.push(representation);
    }
    this.block = SCRATCH;
    return {
      kind: 'decoded',
      headers,
      representations,
      listBytes,
      tooLarge,
      tableSizeUpdates: updates ?? NO_UPDATES,
    };
  }

  private fail(cause: CodecErrorCause, reason: string): HpackDecodeFailed {
    this.error = codecError('COMPRESSION_ERROR', cause, reason);
    this.block = SCRATCH;
    return { kind: 'failed', error: this.error };
  }

  private failedCause(): CodecErrorCause {
    return this.failure?.cause ?? 'truncatedBlock';
  }

  private failedReason(): string {
    return this.failure?.reason ?? 'header block ends inside a field (RFC 7541 §6)';
  }

  private note(cause: CodecErrorCause, reason: string): undefined {
    this.failure = codecError('COMPRESSION_ERROR', cause, reason);
    return undefined;
  }

  /** The entry at `index` (RFC 7541 §2.3.3); undefined, with `failure` noted, when there is none. */
  private lookup(index: number): HeaderPair | undefined {
    if (index < 0) return undefined;
    if (index === 0) return this.note('badIndex', 'index 0 (RFC 7541 §6.1)');
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index - 1];
    const pair = this.table.get(index - STATIC_TABLE_LENGTH);
    if (pair !== undefined) return pair;
    const beyondCap = this.tableSizeLimit > this.cap;
    return this.note(
      'badIndex',
      `index ${index} is beyond the ${this.table.length}-entry dynamic table${beyondCap ? ` (kept to the proxy's ${this.cap}-octet cap)` : ''} (RFC 7541 §2.3.3)`,
    );
  }

  /** A literal field (§6.2): an indexed or literal name, then a literal value. */
  private readLiteral(prefixBits: number): HeaderPair | undefined {
    const index = this.readInteger(prefixBits);
    if (index < 0) return undefined;
    let name: string | undefined;
    if (index === 0) name = this.readString();
    else name = this.lookup(index)?.[0];
    if (name === undefined) return undefined;
    const value = this.readString();
    if (value === undefined) return undefined;
    return [name, value];
  }

  /**
   * An integer with a `prefixBits`-bit prefix (RFC 7541 §5.1), at most 2^32 - 1: beyond that it
   * is an overflow (§5.1 asks decoders to bound them). -1, with `failure` noted, on error.
   */
  private readInteger(prefixBits: number): number {
    const block = this.block;
    const limit = (1 << prefixBits) - 1;
    let value = (block[this.at++] as number) & limit;
    if (value < limit) return value;
    let scale = 1;
    for (;;) {
      if (this.at >= block.length) {
        this.note('truncatedBlock', 'header block ends inside an integer (RFC 7541 §5.1)');
        return -1;
      }
      const byte = block[this.at++] as number;
      value += (byte & 0x7f) * scale;
      if (value > MAX_INTEGER || (scale >= 2 ** 28 && byte & 0x80)) {
        this.note('integerOverflow', 'integer exceeds 2^32-1 (RFC 7541 §5.1)');
        return -1;
      }
      if (!(byte & 0x80)) return value;
      scale *= 128;
    }
  }

  /** A string literal (RFC 7541 §5.2), Huffman-coded or not, as Latin-1. */
  private readString(): string | undefined {
    const block = this.block;
    if (this.at >= block.length) {
      return this.note(
        'truncatedBlock',
        'header block ends before a string literal (RFC 7541 §5.2)',
      );
    }
    const huffman = ((block[this.at] as number) & 0x80) !== 0;
    const length = this.readInteger(7);
    if (length < 0) return undefined;
    const start = this.at;
    const end = start + length;
    if (end > block.length) {
      return this.note(
        'truncatedBlock',
        `string literal of ${length} bytes with ${block.length - start} left in the block (RFC 7541 §5.2)`,
      );
    }
    this.at = end;
    if (!huffman) return latin1(block, start, end);
    const room = maxHuffmanDecodedLength(length);
    const target = room <= SCRATCH.length ? SCRATCH : Buffer.allocUnsafe(room);
    const decodedEnd = decodeHuffman(block, start, end, target, 0);
    if (decodedEnd < 0) {
      return this.note(
        'badHuffman',
        'Huffman string holds EOS, or padding longer than 7 bits or not all ones (RFC 7541 §5.2)',
      );
    }
    return latin1(target, 0, decodedEnd);
  }
}

/** Latin-1 text of `bytes[start, end)`; short strings are built in JavaScript, which is cheaper. */
function latin1(bytes: Buffer, start: number, end: number): string {
  if (end - start > 8) return bytes.toString('latin1', start, end);
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

function checkOctets(octets: number): void {
  if (!Number.isInteger(octets) || octets < 0 || octets > MAX_INTEGER) {
    throw new RangeError(`table size out of range: ${octets}`);
  }
}
