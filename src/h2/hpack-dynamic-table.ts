import type { HeaderPair } from '../http2/channel-event.js';

/** Per-entry overhead in the table size (RFC 7541 §4.1), as in SETTINGS_MAX_HEADER_LIST_SIZE. */
export const ENTRY_OVERHEAD_BYTES = 32;

/** An entry's size (RFC 7541 §4.1): name and value octets (Latin-1 characters) plus 32. */
export function entrySize(pair: HeaderPair): number {
  return pair[0].length + pair[1].length + ENTRY_OVERHEAD_BYTES;
}

/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): newest entry first, evicting the oldest to stay
 * within `maxSize` octets. A ring of shared pairs, so an indexed field costs no allocation.
 */
export class DynamicTable {
  /** Octets in use (§4.1). */
  size = 0;
  length = 0;
  private ring: (HeaderPair | undefined)[] = new Array<HeaderPair | undefined>(16);
  private mask = 15;
  /** Ring position of the next insert. */
  private head = 0;

  constructor(public maxSize: number) {}

  /** Entry `index` (1 = newest), or undefined past the end. */
  get(index: number): HeaderPair | undefined {
    if (index < 1 || index > this.length) return undefined;
    return this.ring[(this.head - index) & this.mask];
  }

  /**
   * Adds a pair as the newest entry after evicting what it needs (§4.4); a pair larger than
   * `maxSize` empties the table and is not added.
   */
  insert(pair: HeaderPair): void {
    const size = entrySize(pair);
    if (size > this.maxSize) {
      this.clear();
      return;
    }
    this.evictTo(this.maxSize - size);
    if (this.length === this.ring.length) this.grow();
    this.ring[this.head] = pair;
    this.head = (this.head + 1) & this.mask;
    this.length += 1;
    this.size += size;
  }

  /** Applies a new maximum size, evicting the oldest entries until the table fits (§4.3). */
  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  /** The entries, newest first (for tests and diagnostics). */
  entries(): HeaderPair[] {
    const out: HeaderPair[] = [];
    for (let index = 1; index <= this.length; index++) out.push(this.get(index) as HeaderPair);
    return out;
  }

  private evictTo(size: number): void {
    while (this.size > size && this.length > 0) {
      const at = (this.head - this.length) & this.mask;
      this.size -= entrySize(this.ring[at] as HeaderPair);
      this.ring[at] = undefined;
      this.length -= 1;
    }
  }

  private clear(): void {
    this.ring.fill(undefined);
    this.length = 0;
    this.size = 0;
  }

  private grow(): void {
    const ring = new Array<HeaderPair | undefined>(this.ring.length * 2);
    for (let index = this.length; index >= 1; index--) ring[this.length - index] = this.get(index);
    this.ring = ring;
    this.mask = ring.length - 1;
    this.head = this.length;
  }
}
