import type { Writable } from 'node:stream';
import type { FlowItem, FlowSink } from '../flow/flow-sink.js';
import { assertNever } from '../http2/channel-event.js';
import { encodeEarlyResetsLine } from './early-resets-record.js';
import { createLineWriter } from './line-writer.js';
import { encodeGapLine, encodeGrpcItemLine, encodeHttpExchangeLine } from './record-line.js';

export interface RecordSinkOptions {
  /** The `--record` file. */
  readonly stream: Writable;
  /** Most bytes queued for the file before records are dropped (then a `gap` record follows). */
  readonly maxQueuedBytes: number;
  /** A write error: recording stops, forwarding goes on. */
  readonly onError: (error: Error) => void;
  /** Called once, when the first record is dropped for the cap. */
  readonly onDrop: () => void;
}

/**
 * The `--record FILE` sink: every item as an NDJSON line with full payloads and decoded views,
 * and a `gap` record for what its cap dropped, written as soon as the file has room again.
 */
export function createRecordSink(options: RecordSinkOptions): FlowSink {
  const writer = createLineWriter(options.stream, {
    name: 'record',
    maxQueuedBytes: options.maxQueuedBytes,
    onError: options.onError,
    onDrop: options.onDrop,
    formatGap: encodeGapLine,
  });
  return {
    name: 'record',
    needs: { httpBodies: false },
    accept(item: FlowItem) {
      switch (item.kind) {
        case 'grpc':
          writer.write(encodeGrpcItemLine(item));
          return;
        case 'http':
          writer.write(encodeHttpExchangeLine(item.exchange));
          return;
        case 'earlyResets':
          writer.write(encodeEarlyResetsLine(item.summary));
          return;
        default:
          assertNever(item);
      }
    },
    close: () => writer.close(),
  };
}
