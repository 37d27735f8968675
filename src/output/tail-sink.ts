import type { Writable } from 'node:stream';
import type { FlowItem, FlowSink } from '../flow/flow-sink.js';
import type { GapNotice } from '../flow/gap-tracker.js';
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import { assertNever } from '../http2/channel-event.js';
import { encodeEarlyResetsLine, formatEarlyResetsLine } from './early-resets-record.js';
import { formatGrpcLine } from './format-grpc-line.js';
import { formatHttpLine } from './http-record.js';
import { createLineWriter } from './line-writer.js';
import { encodeGapLine, encodeGrpcItemLine, encodeHttpExchangeLine } from './record-line.js';

export interface TailSinkOptions {
  /** stdout. */
  readonly stream: Writable;
  /** `--output`: text lines for people, or the NDJSON records. */
  readonly format: 'text' | 'json';
  /** ANSI colours in text lines. */
  readonly color: boolean;
  /** Most bytes queued before lines are dropped (a reader that stalls); a gap line follows. */
  readonly maxQueuedBytes: number;
  readonly onError: (error: Error) => void;
  /** Called once, when the first line is dropped for the cap. */
  readonly onDrop: () => void;
}

/** The text tail's line for lost lines. */
export function formatGapLine(notice: GapNotice): string {
  const clock = (time: number): string => new Date(time).toISOString().slice(11, 23);
  return (
    `${clock(notice.time)} gap: ${notice.lostRecords} lines (${notice.lostBytes} bytes) of ` +
    `${notice.sink} lost from ${clock(notice.from)} to ${clock(notice.until)}: the reader was not keeping up\n`
  );
}

/**
 * The stdout sink (`--output text|json`). JSON lines are the record lines, shared with the record
 * sink; text lines show a decoded preview of each message when decoding is configured.
 */
export function createTailSink(options: TailSinkOptions): FlowSink {
  const { format, color } = options;
  const json = format === 'json';
  const writer = createLineWriter(options.stream, {
    name: 'tail',
    maxQueuedBytes: options.maxQueuedBytes,
    onError: options.onError,
    onDrop: options.onDrop,
    formatGap: json ? encodeGapLine : formatGapLine,
  });
  const writeText = (item: GrpcFlowItem): void => {
    const { envelope } = item;
    const preview = envelope.kind === 'data' ? item.decodedView()?.preview : undefined;
    const text = formatGrpcLine(envelope, { color, call: item.call.name, decodedPreview: preview });
    writer.write(`${text}\n`);
  };
  return {
    name: 'tail',
    needs: { httpBodies: false },
    accept(item: FlowItem) {
      switch (item.kind) {
        case 'grpc':
          if (json) writer.write(encodeGrpcItemLine(item));
          else writeText(item);
          return;
        case 'http':
          if (json) writer.write(encodeHttpExchangeLine(item.exchange));
          else writer.write(`${formatHttpLine(item.exchange, color)}\n`);
          return;
        case 'earlyResets':
          if (json) writer.write(encodeEarlyResetsLine(item.summary));
          else writer.write(`${formatEarlyResetsLine(item.summary, color)}\n`);
          return;
        default:
          assertNever(item);
      }
    },
    close: () => writer.close(),
  };
}
