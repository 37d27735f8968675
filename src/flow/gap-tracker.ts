/**
 * What a sink lost while it could not keep up: written by the sink itself as soon as it has room
 * again (and at shutdown), so no loss is silent. Times are milliseconds since the epoch.
 */
export interface GapNotice {
  /** The sink that lost the records: `tail`, `record`, `store`, ... */
  readonly sink: string;
  /** Records (lines, rows) not written. */
  readonly lostRecords: number;
  /** Their encoded size in bytes, as far as the sink had encoded them. */
  readonly lostBytes: number;
  /** When the first and the last lost record were dropped. */
  readonly from: number;
  readonly until: number;
  /** When the notice was taken (the gap ends here). */
  readonly time: number;
}

/** Counts what a bounded queue drops until the loss is reported; pure, times come from the caller. */
export interface GapTracker {
  /** Counts one dropped record of `bytes` bytes at `time`. */
  drop(bytes: number, time: number): void;
  /** True while drops are counted and not yet taken. */
  readonly pending: boolean;
  /** The loss since the last notice, then starts counting afresh; null when nothing was lost. */
  take(time: number): GapNotice | null;
  /** Records dropped over the tracker's life. */
  readonly totalLost: number;
}

/** Creates the drop counter of the sink named `sink`. */
export function createGapTracker(sink: string): GapTracker {
  let lostRecords = 0;
  let lostBytes = 0;
  let from = 0;
  let until = 0;
  const tracker = {
    pending: false,
    totalLost: 0,
    drop(bytes: number, time: number): void {
      if (lostRecords === 0) from = time;
      lostRecords += 1;
      lostBytes += bytes;
      until = time;
      tracker.pending = true;
      tracker.totalLost += 1;
    },
    take(time: number): GapNotice | null {
      if (lostRecords === 0) return null;
      const notice: GapNotice = { sink, lostRecords, lostBytes, from, until, time };
      lostRecords = 0;
      lostBytes = 0;
      tracker.pending = false;
      return notice;
    },
  };
  return tracker;
}
