import type { ConnectionInfo } from '../http2/channel-event.js';

/**
 * Early resets per client address within one window past which further early-reset streams from
 * that address are summarised. A client cancelling calls now and then, or a burst of hedged
 * requests, stays far below; the HTTP/2 rapid-reset pattern (CVE-2023-44487) is thousands per
 * second. Counted across all of an address's connections, so a flood spread over many
 * connections (or reconnecting) counts as one.
 */
export const EARLY_RESET_FLOOD_THRESHOLD = 100;
/** The counting window, and the batch of one summary (ms). */
export const EARLY_RESET_WINDOW_MS = 1000;
/** Client addresses remembered; the least recently counted is forgotten past this. */
const MAX_ADDRESSES = 10_000;
/** Distinct paths listed per summary; the rest are counted in `otherPaths`. */
const MAX_PATHS = 10;
/** Longest path kept in a summary (a client may send 64 KiB of it). */
const MAX_PATH_CHARS = 200;

/** Streams of one connection that were reset early during a flood, in one batch. */
export interface EarlyResetSummary {
  readonly connection: ConnectionInfo;
  /** Streams summarised. */
  readonly streams: number;
  /** `[path, streams]` for up to 10 distinct paths (each cut to 200 characters), by first seen. */
  readonly paths: readonly (readonly [path: string, streams: number])[];
  /** Streams whose path was not among those listed. */
  readonly otherPaths: number;
  /** The first and last summarised reset, ms since the epoch. */
  readonly from: number;
  readonly until: number;
}

export interface EarlyResetTracker {
  /** True while the address is flooding: its streams reset early are then summarised. */
  isFlooding(address: string, time: number): boolean;
  /** Counts one early reset; `summarised` adds it to its connection's pending summary. */
  count(connection: ConnectionInfo, path: string, time: number, summarised: boolean): void;
  /**
   * The summaries whose batch (`windowMs` from its first reset) is over at `time`, every pending
   * one with `all`. A batch never spans more than `windowMs`.
   */
  takeDue(time: number, all: boolean): EarlyResetSummary[];
  /** True while some summary waits for its batch to end. */
  readonly pending: boolean;
}

interface AddressWindow {
  start: number;
  count: number;
  previous: number;
}

interface PendingSummary {
  readonly connection: ConnectionInfo;
  streams: number;
  readonly paths: Map<string, number>;
  otherPaths: number;
  readonly from: number;
  until: number;
}

/**
 * Rapid-reset accounting (pure; times come from the caller). A stream the client resets before
 * any response headers is an early reset. Per client address, early resets are counted in fixed
 * windows; the address is flooding while this window or the previous one has more than
 * `threshold`, so a sustained flood stays summarised across window boundaries.
 */
export function createEarlyResetTracker(
  threshold = EARLY_RESET_FLOOD_THRESHOLD,
  windowMs = EARLY_RESET_WINDOW_MS,
): EarlyResetTracker {
  const addresses = new Map<string, AddressWindow>();
  const summaries = new Map<string, PendingSummary>();
  /** Batches that ended when a later reset of their connection came, waiting to be taken. */
  let closed: EarlyResetSummary[] = [];
  const freeze = (summary: PendingSummary): EarlyResetSummary => ({
    connection: summary.connection,
    streams: summary.streams,
    paths: [...summary.paths],
    otherPaths: summary.otherPaths,
    from: summary.from,
    until: summary.until,
  });

  const roll = (window: AddressWindow, time: number): void => {
    const elapsed = time - window.start;
    if (elapsed < windowMs) return;
    window.previous = elapsed < 2 * windowMs ? window.count : 0;
    window.count = 0;
    window.start = time - (elapsed % windowMs);
  };

  return {
    get pending() {
      return summaries.size > 0 || closed.length > 0;
    },
    isFlooding(address, time) {
      const window = addresses.get(address);
      if (window === undefined) return false;
      roll(window, time);
      return window.count > threshold || window.previous > threshold;
    },
    count(connection, path, time, summarised) {
      const address = connection.clientAddress;
      let window = addresses.get(address);
      if (window === undefined) {
        if (addresses.size >= MAX_ADDRESSES) {
          const oldest = addresses.keys().next().value;
          if (oldest !== undefined) addresses.delete(oldest);
        }
        window = { start: time, count: 0, previous: 0 };
      } else {
        addresses.delete(address);
        roll(window, time);
      }
      addresses.set(address, window);
      window.count += 1;
      if (!summarised) return;
      let summary = summaries.get(connection.id);
      if (summary !== undefined && time - summary.from >= windowMs) {
        closed.push(freeze(summary));
        summary = undefined;
      }
      if (summary === undefined) {
        summary = {
          connection,
          streams: 0,
          paths: new Map(),
          otherPaths: 0,
          from: time,
          until: time,
        };
        summaries.set(connection.id, summary);
      }
      summary.streams += 1;
      summary.until = time;
      const key = path.length > MAX_PATH_CHARS ? path.slice(0, MAX_PATH_CHARS) : path;
      const seen = summary.paths.get(key);
      if (seen !== undefined) summary.paths.set(key, seen + 1);
      else if (summary.paths.size < MAX_PATHS) summary.paths.set(key, 1);
      else summary.otherPaths += 1;
    },
    takeDue(time, all) {
      const due = closed;
      closed = [];
      for (const [id, summary] of summaries) {
        if (!all && time - summary.from < windowMs) continue;
        summaries.delete(id);
        due.push(freeze(summary));
      }
      return due;
    },
  };
}
