import type { HeaderList } from '../http2/channel-event.js';
import type { FieldRepresentation } from './create-hpack-decoder.js';
import { DEFAULT_HEADER_TABLE_SIZE } from './frame-constants.js';
import {
  BlockWriter,
  DEFAULT_SENSITIVE_NAMES,
  type FieldEncodingOptions,
  isSensitive,
  staticFieldIndex,
  staticNameIndex,
} from './hpack-block-writer.js';
import { ENTRY_OVERHEAD_BYTES } from './hpack-dynamic-table.js';
import { STATIC_TABLE_LENGTH } from './hpack-static-table.js';

export interface HpackEncoderOptions extends FieldEncodingOptions {
  /** The receiver's SETTINGS_HEADER_TABLE_SIZE in octets (default 4096, RFC 9113 §6.5.2). */
  readonly tableSizeLimit?: number;
  /**
   * The most octets this encoder's table uses, whatever the receiver allows (default 4096): the
   * proxy's memory for its own table. The size in use is the smaller of the two.
   */
  readonly maxTableSize?: number;
  /**
   * The receiver's table holds another encoder's entries (the proxy takes over a direction
   * mid-connection): the first block starts with dynamic table size updates to 0 and then to the
   * size in use (RFC 7541 §4.2, §6.3), so the receiver's table is emptied and this encoder owns it.
   */
  readonly clearReceiverTable?: boolean;
}

/**
 * The proxy's own HPACK encoder for one direction (RFC 7541). Representation choices: an exact
 * match in the static or dynamic table is an indexed field (static preferred); otherwise a literal
 * with incremental indexing, naming the first static entry of that name, else the newest dynamic
 * one, else a literal name. Sensitive fields are never-indexed literals and never enter the table;
 * a field larger than three quarters of the table is a literal without indexing, since adding it
 * would flush the table. These are the choices of RFC 7541 Appendix C, whose examples it
 * reproduces byte for byte.
 */
export interface HpackEncoder {
  /**
   * One header block. `representations` (from the decoder) keep fields that arrived never-indexed
   * never-indexed (§7.1.3); other representations are not copied.
   */
  encode(headers: HeaderList, representations?: readonly FieldRepresentation[]): Buffer;
  /**
   * Applies the receiver's SETTINGS_HEADER_TABLE_SIZE once it is in force for this sender (after
   * the SETTINGS ACK): the table shrinks at once, and the next block starts with the size update(s)
   * the receiver requires (§4.2: the smallest size since the last block, then the final one).
   */
  setTableSizeLimit(octets: number): void;
  /** The dynamic table size in use: min(limit, maxTableSize). */
  readonly maxTableSize: number;
  /** Octets in the table now (§4.1). */
  readonly tableSize: number;
  /** The table, newest first (for tests and diagnostics). */
  tableEntries(): [string, string][];
}

export function createHpackEncoder(options: HpackEncoderOptions = {}): HpackEncoder {
  return new Encoder(options);
}

interface Entry {
  readonly name: string;
  readonly value: string;
  readonly size: number;
  readonly sequence: number;
}

class Encoder implements HpackEncoder {
  tableSize = 0;
  maxTableSize: number;
  private readonly ownMax: number;
  private readonly huffman;
  private readonly sensitiveNames: ReadonlySet<string>;
  /** Oldest first; `first` skips evicted entries until the array is compacted. */
  private entries: Entry[] = [];
  private first = 0;
  private nextSequence = 0;
  private readonly byField = new Map<string, Map<string, number>>();
  private readonly byName = new Map<string, number>();
  /** The next block must start by emptying the receiver's table (size update 0). */
  private clearPending: boolean;
  /** The smallest size since the last block, when a size update is owed; else Infinity. */
  private smallestSinceBlock = Infinity;

  constructor(options: HpackEncoderOptions) {
    const limit = options.tableSizeLimit ?? DEFAULT_HEADER_TABLE_SIZE;
    this.ownMax = options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE;
    checkOctets(limit);
    checkOctets(this.ownMax);
    this.huffman = options.huffman ?? 'shorter';
    this.sensitiveNames = options.sensitiveNames ?? DEFAULT_SENSITIVE_NAMES;
    this.maxTableSize = Math.min(limit, this.ownMax);
    this.clearPending = options.clearReceiverTable ?? false;
    if (this.maxTableSize !== limit) this.smallestSinceBlock = this.maxTableSize;
  }

  setTableSizeLimit(octets: number): void {
    checkOctets(octets);
    this.maxTableSize = Math.min(octets, this.ownMax);
    this.smallestSinceBlock = Math.min(this.smallestSinceBlock, this.maxTableSize);
    this.evictTo(this.maxTableSize);
  }

  encode(headers: HeaderList, representations?: readonly FieldRepresentation[]): Buffer {
    const writer = new BlockWriter(BlockWriter.estimate(headers), this.huffman);
    this.writeSizeUpdates(writer);
    headers.forEach(([name, value], index) => {
      if (isSensitive(name, index, this.sensitiveNames, representations)) {
        writer.literal(0x10, 4, this.nameIndex(name), name, value);
        return;
      }
      const exact = staticFieldIndex(name, value) || this.dynamicFieldIndex(name, value);
      if (exact !== 0) {
        writer.integer(exact, 7, 0x80);
        return;
      }
      const nameIndex = this.nameIndex(name);
      const size = name.length + value.length + ENTRY_OVERHEAD_BYTES;
      if (size * 4 > this.maxTableSize * 3) {
        writer.literal(0x00, 4, nameIndex, name, value);
        return;
      }
      writer.literal(0x40, 6, nameIndex, name, value);
      this.insert(name, value, size);
    });
    return writer.finish();
  }

  tableEntries(): [string, string][] {
    return this.entries
      .slice(this.first)
      .reverse()
      .map((entry) => [entry.name, entry.value]);
  }

  private writeSizeUpdates(writer: BlockWriter): void {
    if (this.clearPending) {
      writer.integer(0, 5, 0x20);
      writer.integer(this.maxTableSize, 5, 0x20);
    } else if (this.smallestSinceBlock !== Infinity) {
      if (this.smallestSinceBlock < this.maxTableSize) {
        writer.integer(this.smallestSinceBlock, 5, 0x20);
      }
      writer.integer(this.maxTableSize, 5, 0x20);
    }
    this.clearPending = false;
    this.smallestSinceBlock = Infinity;
  }

  /** Dynamic index of a sequence number: the newest entry is 62 (RFC 7541 §2.3.3). */
  private indexOf(sequence: number): number {
    return STATIC_TABLE_LENGTH + this.nextSequence - sequence;
  }

  private dynamicFieldIndex(name: string, value: string): number {
    const sequence = this.byField.get(name)?.get(value);
    return sequence === undefined ? 0 : this.indexOf(sequence);
  }

  private nameIndex(name: string): number {
    const index = staticNameIndex(name);
    if (index !== 0) return index;
    const sequence = this.byName.get(name);
    return sequence === undefined ? 0 : this.indexOf(sequence);
  }

  private insert(name: string, value: string, size: number): void {
    this.evictTo(this.maxTableSize - size);
    const sequence = this.nextSequence++;
    this.entries.push({ name, value, size, sequence });
    this.tableSize += size;
    let values = this.byField.get(name);
    if (values === undefined) this.byField.set(name, (values = new Map<string, number>()));
    values.set(value, sequence);
    this.byName.set(name, sequence);
  }

  private evictTo(size: number): void {
    while (this.tableSize > size && this.first < this.entries.length) {
      const entry = this.entries[this.first++] as Entry;
      this.tableSize -= entry.size;
      const values = this.byField.get(entry.name);
      if (values?.get(entry.value) === entry.sequence) {
        values.delete(entry.value);
        if (values.size === 0) this.byField.delete(entry.name);
      }
      if (this.byName.get(entry.name) === entry.sequence) this.byName.delete(entry.name);
    }
    if (this.first > 64 && this.first * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }
}

function checkOctets(octets: number): void {
  if (!Number.isInteger(octets) || octets < 0 || octets > 0xffffffff) {
    throw new RangeError(`table size out of range: ${octets}`);
  }
}
