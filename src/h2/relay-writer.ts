import type { Peer } from './relay-stream.js';

/** Where the relay's bytes go: `write(side, bytes)` sends to that peer, in order. */
export type WriteBytes = (side: Peer, bytes: Uint8Array) => void;

/**
 * Orders what the relay sends to each peer. Forwarded bytes of one incoming chunk are gathered
 * into runs so an untouched chunk goes out as one write of the chunk itself (the zero-copy fast
 * path); frames the proxy makes (RST_STREAM, WINDOW_UPDATE, GOAWAY, re-encoded blocks) are written
 * between runs, and wait in a queue while a forwarded frame to that peer is incomplete, since
 * nothing may be written inside a frame.
 */
export class RelayWriter {
  private chunk: Uint8Array | null = null;
  private to: Peer = 'upstream';
  private base = 0;
  private runStart = 0;
  private runEnd = 0;
  private readonly midFrame: Record<Peer, boolean> = { client: false, upstream: false };
  private readonly queued: Record<Peer, Uint8Array[]> = { client: [], upstream: [] };

  constructor(private readonly write: WriteBytes) {}

  /** Starts forwarding a chunk whose first byte is at stream offset `base`, towards `to`. */
  begin(chunk: Uint8Array, base: number, to: Peer): void {
    this.chunk = chunk;
    this.base = base;
    this.to = to;
    this.runStart = 0;
    this.runEnd = 0;
  }

  /**
   * Forwards stream offsets [from, to) of the current chunk; `held` are bytes before the chunk
   * (an incomplete frame header kept from the previous one) that start the range.
   */
  forward(from: number, to: number, held: Uint8Array | null): void {
    if (held !== null && from < this.base) {
      this.flushRun();
      this.write(this.to, held);
      from = this.base;
    }
    const start = from - this.base;
    const end = to - this.base;
    if (end <= start) return;
    if (start !== this.runEnd || this.runEnd === this.runStart) {
      this.flushRun();
      this.runStart = start;
    }
    this.runEnd = end;
  }

  /** Marks whether the last bytes forwarded to `side` stopped inside a frame. */
  setMidFrame(side: Peer, inside: boolean): void {
    if (this.midFrame[side] === inside) return;
    this.midFrame[side] = inside;
    if (inside) return;
    if (side === this.to) this.flushRun();
    const queued = this.queued[side];
    if (queued.length === 0) return;
    this.queued[side] = [];
    for (const bytes of queued) this.write(side, bytes);
  }

  isMidFrame(side: Peer): boolean {
    return this.midFrame[side];
  }

  /** Sends bytes the proxy made, after what was forwarded before them. */
  inject(side: Peer, bytes: Uint8Array): void {
    if (side === this.to) this.flushRun();
    if (this.midFrame[side]) this.queued[side].push(bytes);
    else this.write(side, bytes);
  }

  /** Ends the current chunk: the last run is written. */
  finish(): void {
    this.flushRun();
    this.chunk = null;
  }

  private flushRun(): void {
    const chunk = this.chunk;
    if (chunk === null || this.runEnd <= this.runStart) return;
    const whole = this.runStart === 0 && this.runEnd === chunk.length;
    this.write(this.to, whole ? chunk : chunk.subarray(this.runStart, this.runEnd));
    this.runStart = this.runEnd;
  }
}
