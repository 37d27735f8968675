import type { StoreOp } from './store-op.js';

/**
 * A batch of store ops as it crosses to the store thread: the ops as one JSON text, their byte
 * arrays packed into one buffer that is transferred, not copied. `postMessage`'s structured clone
 * of the ops themselves (objects full of small strings and header pairs) cost about 30 µs per
 * op, most of what storing a unary call cost; JSON and one buffer cost a fraction of that.
 */
export interface EncodedBatch {
  readonly json: string;
  readonly bytes: ArrayBuffer;
  /** Per byte field, in op order: offset and length in `bytes`, or -1 and 0 for null. */
  readonly layout: Int32Array;
}

type ByteField = 'payload' | 'raw' | 'requestBody' | 'responseBody';

const FIELDS: Readonly<Partial<Record<StoreOp['op'], readonly ByteField[]>>> = {
  grpcData: ['payload', 'raw'],
  http: ['requestBody', 'responseBody'],
};

/** Packs a batch (the ops' byte arrays are read here, once; they are not kept). */
export function encodeBatch(ops: readonly StoreOp[]): EncodedBatch {
  let total = 0;
  let fields = 0;
  for (const op of ops) {
    for (const field of FIELDS[op.op] ?? []) {
      const value = (op as unknown as Record<ByteField, Uint8Array | null>)[field];
      fields += 1;
      if (value !== null) total += value.byteLength;
    }
  }
  const packed = new Uint8Array(total);
  const layout = new Int32Array(fields * 2);
  const plain: unknown[] = new Array(ops.length);
  let offset = 0;
  let slot = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as StoreOp;
    const names = FIELDS[op.op];
    if (names === undefined) {
      plain[i] = op;
      continue;
    }
    const copy: Record<string, unknown> = { ...op };
    for (const field of names) {
      const value = copy[field] as Uint8Array | null;
      copy[field] = null;
      if (value === null) {
        layout[slot++] = -1;
        layout[slot++] = 0;
      } else {
        packed.set(value, offset);
        layout[slot++] = offset;
        layout[slot++] = value.byteLength;
        offset += value.byteLength;
      }
    }
    plain[i] = copy;
  }
  return { json: JSON.stringify(plain), bytes: packed.buffer, layout };
}

/** The ops of a packed batch, their byte fields views of its one buffer. */
export function decodeBatch(batch: EncodedBatch): StoreOp[] {
  const ops = JSON.parse(batch.json) as Record<string, unknown>[];
  const bytes = new Uint8Array(batch.bytes);
  let slot = 0;
  for (const op of ops) {
    for (const field of FIELDS[op.op as StoreOp['op']] ?? []) {
      const offset = batch.layout[slot++] ?? -1;
      const length = batch.layout[slot++] ?? 0;
      op[field] = offset < 0 ? null : bytes.subarray(offset, offset + length);
    }
  }
  return ops as unknown as StoreOp[];
}
