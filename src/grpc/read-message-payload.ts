import { decompressMessage } from './decompress-message.js';
import type { Anomaly } from './grpc-envelope.js';
import { PREFIX_LENGTH, type WireMessage } from './length-prefixed-decoder.js';

export type PayloadOutcome =
  | {
      readonly kind: 'read';
      /** The message bytes; null when they cannot be decoded (see `anomalies`). */
      readonly payload: Uint8Array | null;
      readonly length: number | null;
      readonly anomalies: readonly Anomaly[];
    }
  | { readonly kind: 'tooLarge'; readonly reason: string };

const NO_ANOMALIES: readonly Anomaly[] = Object.freeze([]);

/**
 * The decompressed bytes of a message. An uncompressed payload is a view into `message.raw` (no
 * copy). A compressed one is inflated with `encoding` (the direction's `grpc-encoding`, null when
 * absent) up to `maxMessageSize` bytes.
 */
export function readMessagePayload(
  message: WireMessage,
  encoding: string | null,
  maxMessageSize: number,
): PayloadOutcome {
  const wirePayload = message.raw.subarray(PREFIX_LENGTH);
  if (!message.compressed) {
    return {
      kind: 'read',
      payload: wirePayload,
      length: message.wireLength,
      anomalies: NO_ANOMALIES,
    };
  }
  const outcome = decompressMessage(encoding, wirePayload, maxMessageSize);
  switch (outcome.kind) {
    case 'decoded':
      return {
        kind: 'read',
        payload: outcome.payload,
        length: outcome.payload.length,
        anomalies: NO_ANOMALIES,
      };
    case 'unreadable':
      return { kind: 'read', payload: null, length: null, anomalies: [outcome.anomaly] };
    case 'tooLarge':
      return outcome;
  }
}
