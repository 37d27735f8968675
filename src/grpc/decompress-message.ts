/**
 * Decompression of compressed gRPC messages, bounded by the message size limit.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/compression.md
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Anomaly } from './grpc-envelope.js';

export type DecompressOutcome =
  | { readonly kind: 'decoded'; readonly payload: Uint8Array }
  /** The payload cannot be read, but the stream is fine: forwarding goes on. */
  | { readonly kind: 'unreadable'; readonly anomaly: Anomaly }
  /** The decompressed message would exceed the limit: a stream error. */
  | { readonly kind: 'tooLarge'; readonly reason: string };

function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

function inflateZlibOrRaw(input: Uint8Array, maxOutputLength: number): Buffer {
  try {
    return inflateSync(input, { maxOutputLength });
  } catch (error) {
    // gRPC's "deflate" is the zlib format, but some peers send raw DEFLATE; accept both.
    if (isTooLarge(error)) throw error;
    return inflateRawSync(input, { maxOutputLength });
  }
}

/**
 * Decompresses the wire payload of a message whose compressed flag is set.
 *
 * @param encoding - the direction's `grpc-encoding` header value, or null when absent.
 * @param maxMessageSize - bytes; zlib stops producing output past it, so a compression bomb never
 *   allocates more than the limit.
 */
export function decompressMessage(
  encoding: string | null,
  wirePayload: Uint8Array,
  maxMessageSize: number,
): DecompressOutcome {
  if (encoding === null) {
    return {
      kind: 'unreadable',
      anomaly: {
        code: 'COMPRESSED_WITHOUT_ENCODING',
        message: 'compressed flag set but the direction has no grpc-encoding header',
      },
    };
  }
  const name = encoding.trim().toLowerCase();
  if (name !== 'gzip' && name !== 'deflate') {
    const message =
      name === 'identity'
        ? 'compressed flag set but grpc-encoding is "identity"'
        : `cannot decompress grpc-encoding "${encoding}"`;
    return { kind: 'unreadable', anomaly: { code: 'UNSUPPORTED_ENCODING', message } };
  }
  // zlib rejects a limit of 0; an empty output still passes the check below.
  const maxOutputLength = Math.max(1, maxMessageSize);
  try {
    const payload =
      name === 'gzip'
        ? gunzipSync(wirePayload, { maxOutputLength })
        : inflateZlibOrRaw(wirePayload, maxOutputLength);
    if (payload.length <= maxMessageSize) {
      // A plain view: envelopes hold Uint8Array, whatever zlib allocated.
      const view = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      return { kind: 'decoded', payload: view };
    }
  } catch (error) {
    if (!isTooLarge(error)) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        kind: 'unreadable',
        anomaly: { code: 'DECOMPRESSION_FAILED', message: `${name}: ${detail}` },
      };
    }
  }
  return {
    kind: 'tooLarge',
    reason: `decompressed message exceeds the limit of ${maxMessageSize} bytes`,
  };
}
