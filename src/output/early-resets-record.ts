import type { EarlyResetSummary } from '../flow/early-reset-tracker.js';
import { toConnectionRecord } from './connection-record.js';
import { serializeRecord } from './grpc-record.js';

/** The `protocol: "http2"`, `event: "earlyResets"` record of one summary (docs/records.md). */
export function toEarlyResetsRecord(summary: EarlyResetSummary): Record<string, unknown> {
  return {
    protocol: 'http2',
    event: 'earlyResets',
    time: new Date(summary.until).toISOString(),
    streams: summary.streams,
    paths: summary.paths,
    otherPaths: summary.otherPaths,
    from: new Date(summary.from).toISOString(),
    until: new Date(summary.until).toISOString(),
    connection: toConnectionRecord(summary.connection, null),
  };
}

export function encodeEarlyResetsLine(summary: EarlyResetSummary): Buffer {
  return Buffer.from(serializeRecord(toEarlyResetsRecord(summary)), 'utf8');
}

/** One text-tail line for a summary (no trailing newline). */
export function formatEarlyResetsLine(summary: EarlyResetSummary, color: boolean): string {
  const time = new Date(summary.until).toISOString().slice(11, 23);
  const { clientAddress, clientPort } = summary.connection;
  const paths = summary.paths.map(([path, streams]) => `${path}×${streams}`);
  if (summary.otherPaths > 0) paths.push(`others×${summary.otherPaths}`);
  const text =
    `${time} resets ${clientAddress}:${clientPort} ${summary.streams} streams reset before an ` +
    `answer (flood, summarised) ${paths.join(' ')}`;
  return color ? `\x1b[33m${text}\x1b[0m` : text;
}
