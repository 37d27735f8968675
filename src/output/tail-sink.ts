import type { Writable } from 'node:stream';
import type { FlowItem, FlowSink } from '../flow/flow-sink.js';
import type { GapNotice } from '../flow/gap-tracker.js';
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import { assertNever } from '../http2/channel-event.js';
import { encodeEarlyResetsLine, formatEarlyResetsLine } from './early-resets-record.js';
import type { HttpExchange } from '../flow/http-exchange.js';
import { fitToWidth } from './fit-to-width.js';
import { formatGrpcLine } from './format-grpc-line.js';
import { formatHeaderLines, type HeaderLineOptions } from './format-header-lines.js';
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
  /** `--verbose`: headers, metadata and trailers under their text line, one per line. */
  readonly verbose?: boolean;
  /** `--show-secrets`: credential header values as sent instead of masked. */
  readonly showSecrets?: boolean;
  /**
   * Columns to cut text lines at, asked for each line (a terminal can be resized); null never
   * cuts. See `terminalWidth`.
   */
  readonly width?: () => number | null;
}

/** Indentation and direction of a header line under its event. */
const SENT = '    → ';
const RECEIVED = '    ← ';

/** The grpc item's header lines for `--verbose`: the start's headers, the end's trailers. */
function grpcHeaderLines(item: GrpcFlowItem, options: HeaderLineOptions): string {
  const { envelope } = item;
  const prefix = envelope.kind !== 'flow' && envelope.direction === 'send' ? SENT : RECEIVED;
  if (envelope.kind === 'start') return formatHeaderLines(envelope.headers, prefix, options);
  if (envelope.kind === 'end') {
    return formatHeaderLines(envelope.raw ?? envelope.trailers, prefix, options);
  }
  return '';
}

function httpHeaderLines(exchange: HttpExchange, options: HeaderLineOptions): string {
  return (
    formatHeaderLines(exchange.requestHeaders, SENT, options) +
    formatHeaderLines(exchange.requestTrailers, SENT, options) +
    formatHeaderLines(exchange.responseHeaders ?? [], RECEIVED, options) +
    formatHeaderLines(exchange.responseTrailers, RECEIVED, options)
  );
}

/** Every row of `text` (lines ending in `\n`) cut at `columns`. */
function fitRows(text: string, columns: number): string {
  let out = '';
  for (const row of text.slice(0, -1).split('\n')) out += `${fitToWidth(row, columns)}\n`;
  return out;
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
 * sink; text lines show a decoded preview of each message when decoding is configured, its type
 * when a schema knows it, and with `verbose` the headers under their line. On a terminal every
 * text row is cut at its width.
 */
export function createTailSink(options: TailSinkOptions): FlowSink {
  const { format, color } = options;
  const json = format === 'json';
  const verbose = options.verbose === true;
  const headerOptions: HeaderLineOptions = { showSecrets: options.showSecrets === true };
  const width = options.width ?? (() => null);
  const writer = createLineWriter(options.stream, {
    name: 'tail',
    maxQueuedBytes: options.maxQueuedBytes,
    onError: options.onError,
    onDrop: options.onDrop,
    formatGap: json ? encodeGapLine : formatGapLine,
  });
  const writeText = (text: string): void => {
    const columns = width();
    writer.write(columns === null ? text : fitRows(text, columns));
  };
  const writeGrpcText = (item: GrpcFlowItem): void => {
    const { envelope } = item;
    const view = envelope.kind === 'data' ? item.decodedView() : null;
    const line = formatGrpcLine(envelope, {
      color,
      call: item.call.name,
      decodedPreview: view?.preview,
      typeName: view?.typeName,
    });
    writeText(`${line}\n${verbose ? grpcHeaderLines(item, headerOptions) : ''}`);
  };
  return {
    name: 'tail',
    needs: { httpBodies: false },
    accept(item: FlowItem) {
      switch (item.kind) {
        case 'grpc':
          if (json) writer.write(encodeGrpcItemLine(item));
          else writeGrpcText(item);
          return;
        case 'http':
          if (json) writer.write(encodeHttpExchangeLine(item.exchange));
          else {
            const headers = verbose ? httpHeaderLines(item.exchange, headerOptions) : '';
            writeText(`${formatHttpLine(item.exchange, color)}\n${headers}`);
          }
          return;
        case 'earlyResets':
          if (json) writer.write(encodeEarlyResetsLine(item.summary));
          else writeText(`${formatEarlyResetsLine(item.summary, color)}\n`);
          return;
        default:
          assertNever(item);
      }
    },
    close: () => writer.close(),
  };
}
