import type { HeaderList } from '../http2/channel-event.js';

/** A message body as kept for the flow store: its first bytes, up to a cap, and its true size. */
export interface CapturedBody {
  /** The first `min(size, cap)` bytes. */
  readonly bytes: Uint8Array;
  /** Every body byte that passed, in bytes. */
  readonly size: number;
  /** True when `bytes` is shorter than the body. */
  readonly truncated: boolean;
}

/** What a plain HTTP exchange carried, for the flow store: both header lists, trailers, bodies. */
export interface ExchangeContent {
  /** The request headers as received, in order (HTTP/2: pseudo-headers too; HTTP/1.1: names in the case sent). */
  readonly requestHeaders: HeaderList;
  /** The final response headers as received; null when there was no answer. */
  readonly responseHeaders: HeaderList | null;
  /** Trailers of each direction as received; empty when there were none. */
  readonly requestTrailers: HeaderList;
  readonly responseTrailers: HeaderList;
  /** The bodies up to the body cap, with their true sizes; null when bodies are not captured. */
  readonly requestBody: CapturedBody | null;
  readonly responseBody: CapturedBody | null;
}

/** Collects one body's bytes as they pass (pure). */
export interface BodyCapture {
  /** Copies what is still under the cap out of `chunk` (the caller may reuse it afterwards). */
  push(chunk: Uint8Array): void;
  /** The body so far. */
  finish(): CapturedBody;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/**
 * A body capture keeping at most `maxBytes` (`--store-max-body`). Bytes past the cap are counted,
 * never copied, so a large body costs the capture no more than the cap.
 */
export function createBodyCapture(maxBytes: number): BodyCapture {
  let parts: Uint8Array[] | null = null;
  let kept = 0;
  let size = 0;
  return {
    push(chunk) {
      size += chunk.byteLength;
      if (kept >= maxBytes || chunk.byteLength === 0) return;
      const take = Math.min(chunk.byteLength, maxBytes - kept);
      parts ??= [];
      parts.push(new Uint8Array(chunk.subarray(0, take)));
      kept += take;
    },
    finish() {
      let bytes: Uint8Array = EMPTY;
      if (parts !== null) {
        bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, kept);
        parts = [bytes];
      }
      return { bytes, size, truncated: kept < size };
    },
  };
}
