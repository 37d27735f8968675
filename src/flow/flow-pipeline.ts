import type { FlowItem, FlowSink } from './flow-sink.js';
import type { PayloadDecoder } from './payload-decoder.js';

export interface FlowPipelineOptions {
  readonly sinks: readonly FlowSink[];
  /** The decoding stage; null leaves payloads as bytes. */
  readonly decoder: PayloadDecoder | null;
  /** Bodies of plain HTTP exchanges are kept up to this many bytes each (`--store-max-body`). */
  readonly maxBodyBytes: number;
  /** stderr, for a sink that broke (our bug): named once, the others go on. */
  readonly warn: (line: string) => void;
}

/** The fan-out end of the observer pipeline. */
export interface FlowPipeline {
  readonly decoder: PayloadDecoder | null;
  /** Body bytes plain HTTP exchanges keep: `maxBodyBytes` when a sink wants bodies, else 0. */
  readonly bodyCapBytes: number;
  /** Hands one item to every sink, in order. */
  publish(item: FlowItem): void;
  /** Closes every sink (each writes its pending gap notice and flushes). */
  close(): Promise<void>;
}

/**
 * Fans items out to the sinks. Each sink queues on its own, bounded, so a slow one never holds up
 * another or the forwarding path; a sink that throws (a bug) is reported once and skipped for
 * that item, and the others still get it.
 */
export function createFlowPipeline(options: FlowPipelineOptions): FlowPipeline {
  const { sinks, warn } = options;
  const broken = new Set<FlowSink>();
  const wantsBodies = sinks.some((sink) => sink.needs.httpBodies);
  return {
    decoder: options.decoder,
    bodyCapBytes: wantsBodies ? options.maxBodyBytes : 0,
    publish(item) {
      for (let i = 0; i < sinks.length; i++) {
        const sink = sinks[i] as FlowSink;
        try {
          sink.accept(item);
        } catch (error) {
          if (broken.has(sink)) continue;
          broken.add(sink);
          warn(`${sink.name} sink failed: ${(error as Error).stack ?? String(error)}`);
        }
      }
    },
    async close() {
      await Promise.all(sinks.map((sink) => sink.close()));
    },
  };
}
