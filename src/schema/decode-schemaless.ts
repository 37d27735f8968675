/**
 * A view of any protobuf bytes without a schema, built on the wire reader of `@bufbuild/protobuf`.
 *
 * Length-delimited values are read in this order: printable UTF-8 text wins (so `"0A"` stays a
 * string even though it also parses as `{6: 65}`); otherwise a nested message when the bytes parse
 * completely as one (every tag valid, exactly all bytes consumed, at least one field); otherwise
 * `{ "bytes": base64 }`. The shape is documented in `docs/decoding.md`.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Anomaly } from '../grpc/grpc-envelope.js';
import { encodeBase64 } from '../output/encode-base64.js';
import {
  describeFixed32,
  describeFixed64,
  describeVarint,
  PLAIN_MIN_CHARS,
  readPrintableText,
  type SchemalessMessage,
  type SchemalessValue,
} from './schemaless-value.js';

/** Malformed protobuf: the view holds what was read before the problem, the rest is in `_rest`. */
export const SCHEMALESS_MALFORMED = 'SCHEMALESS_MALFORMED';
/** A depth or field-count limit stopped the decoding somewhere; affected values are bytes. */
export const SCHEMALESS_LIMIT = 'SCHEMALESS_LIMIT';

export interface SchemalessOptions {
  /** Nested messages (and groups) below the top level that are decoded; default 8. */
  readonly maxDepth?: number;
  /** Values in the whole view, nested ones included; default 10000. */
  readonly maxFields?: number;
}

export interface SchemalessResult {
  readonly value: SchemalessMessage;
  readonly anomalies: readonly Anomaly[];
  /**
   * Long strings of the view (texts, base64 of bytes) that JSON holds as they are, with no
   * character escaped; for `appendJson` in `src/output/line-builder.ts`. May name strings the
   * view ended up not using.
   */
  readonly plainStrings: readonly string[];
}

interface Budget {
  readonly maxDepth: number;
  readonly maxFields: number;
  fieldsLeft: number;
  limitReached: boolean;
  readonly plain: string[];
}

interface Failure {
  readonly limit: boolean;
  /** Where the field that could not be read starts. */
  readonly offset: number;
  readonly reason: string;
}

type FieldValues = Map<number, SchemalessValue[]>;

/**
 * Decodes `bytes` as a protobuf message without a schema. Never throws on any input: malformed
 * bytes give a partial view plus a `SCHEMALESS_MALFORMED` anomaly, and the undecoded tail is kept
 * under `_rest`.
 */
export function decodeSchemaless(
  bytes: Uint8Array,
  options: SchemalessOptions = {},
): SchemalessResult {
  const budget: Budget = {
    maxDepth: options.maxDepth ?? 8,
    maxFields: options.maxFields ?? 10_000,
    fieldsLeft: options.maxFields ?? 10_000,
    limitReached: false,
    plain: [],
  };
  const fields: FieldValues = new Map();
  const failure = readFields(new BinaryReader(bytes), bytes, 0, budget, fields, undefined);
  const anomalies: Anomaly[] = [];
  if (failure === null) {
    if (budget.limitReached) anomalies.push(limitAnomaly(budget));
    return { value: toMessage(fields), anomalies, plainStrings: budget.plain };
  }
  const rest = {
    offset: failure.offset,
    bytes: toBase64(bytes.subarray(failure.offset), budget.plain),
  };
  const kept = `${bytes.length - failure.offset} bytes from byte ${failure.offset} kept in _rest`;
  anomalies.push(
    failure.limit
      ? { code: SCHEMALESS_LIMIT, message: `${failure.reason}; ${kept}` }
      : {
          code: SCHEMALESS_MALFORMED,
          message: `malformed protobuf at byte ${failure.offset}: ${failure.reason}; ${kept}`,
        },
  );
  if (budget.limitReached && !failure.limit) anomalies.push(limitAnomaly(budget));
  return { value: { ...toMessage(fields), _rest: rest }, anomalies, plainStrings: budget.plain };
}

function limitAnomaly(budget: Budget): Anomaly {
  return {
    code: SCHEMALESS_LIMIT,
    message: `the limit of ${budget.maxFields} fields was reached; some nested values are shown as bytes`,
  };
}

/** Reads fields to the end of `bytes`, or up to the end-group tag of `group`. */
function readFields(
  reader: BinaryReader,
  bytes: Uint8Array,
  depth: number,
  budget: Budget,
  fields: FieldValues,
  group: number | undefined,
): Failure | null {
  while (reader.pos < reader.len) {
    const start = reader.pos;
    let fieldNo: number;
    let wireType: WireType;
    try {
      [fieldNo, wireType] = reader.tag();
    } catch (error) {
      return malformed(start, `invalid tag (${describeError(error)})`);
    }
    if (wireType === WireType.EndGroup) {
      if (fieldNo === group) return null;
      return malformed(start, `end-group tag for field ${fieldNo} without a matching start`);
    }
    if (budget.fieldsLeft <= 0) {
      return { limit: true, offset: start, reason: `the limit of ${budget.maxFields} fields` };
    }
    const value = readValue(reader, bytes, fieldNo, wireType, depth, budget);
    if ('failure' in value) return { ...value.failure, offset: start };
    budget.fieldsLeft--;
    const values = fields.get(fieldNo);
    if (values === undefined) fields.set(fieldNo, [value.value]);
    else values.push(value.value);
  }
  return group === undefined ? null : malformed(reader.pos, `group ${group} has no end-group tag`);
}

type ValueResult = { readonly value: SchemalessValue } | { readonly failure: Failure };

function readValue(
  reader: BinaryReader,
  bytes: Uint8Array,
  fieldNo: number,
  wireType: WireType,
  depth: number,
  budget: Budget,
): ValueResult {
  const start = reader.pos;
  switch (wireType) {
    case WireType.Varint:
      try {
        return { value: describeVarint(BigInt.asUintN(64, BigInt(reader.uint64()))) };
      } catch (error) {
        return {
          failure: malformed(start, `field ${fieldNo}: bad varint (${describeError(error)})`),
        };
      }
    case WireType.Bit32:
    case WireType.Bit64: {
      const size = wireType === WireType.Bit32 ? 4 : 8;
      if (start + size > reader.len) {
        return { failure: malformed(start, `field ${fieldNo}: truncated ${size}-byte value`) };
      }
      reader.pos += size;
      const raw = bytes.subarray(start, start + size);
      return { value: size === 4 ? describeFixed32(raw) : describeFixed64(raw) };
    }
    case WireType.LengthDelimited: {
      let length: number;
      try {
        length = reader.uint32();
      } catch (error) {
        return {
          failure: malformed(start, `field ${fieldNo}: bad length (${describeError(error)})`),
        };
      }
      const left = reader.len - reader.pos;
      if (length > left) {
        return {
          failure: malformed(
            start,
            `field ${fieldNo}: length ${length} exceeds the ${left} bytes left`,
          ),
        };
      }
      const content = bytes.subarray(reader.pos, reader.pos + length);
      reader.pos += length;
      return { value: describeLengthDelimited(content, depth, budget) };
    }
    case WireType.StartGroup: {
      if (depth >= budget.maxDepth) {
        return {
          failure: { limit: true, offset: start, reason: `group deeper than ${budget.maxDepth}` },
        };
      }
      const fields: FieldValues = new Map();
      const failure = readFields(reader, bytes, depth + 1, budget, fields, fieldNo);
      return failure === null ? { value: { group: toMessage(fields) } } : { failure };
    }
    case WireType.EndGroup:
      return { failure: malformed(start, `field ${fieldNo}: unexpected end-group tag`) };
  }
}

function describeLengthDelimited(
  content: Uint8Array,
  depth: number,
  budget: Budget,
): SchemalessValue {
  const text = readPrintableText(content, budget.plain);
  if (text !== null) return text;
  if (depth < budget.maxDepth) {
    const fieldsLeft = budget.fieldsLeft;
    const fields: FieldValues = new Map();
    const failure = readFields(
      new BinaryReader(content),
      content,
      depth + 1,
      budget,
      fields,
      undefined,
    );
    if (failure === null) return toMessage(fields);
    if (failure.limit) budget.limitReached = true;
    budget.fieldsLeft = fieldsLeft;
  }
  return { bytes: toBase64(content, budget.plain) };
}

/** The bytes as base64; base64 never needs escaping in JSON, so a long one goes to `plain`. */
function toBase64(bytes: Uint8Array, plain: string[]): string {
  const base64 = encodeBase64(bytes);
  if (base64.length >= PLAIN_MIN_CHARS) plain.push(base64);
  return base64;
}

function toMessage(fields: FieldValues): SchemalessMessage {
  const message: Record<string, SchemalessValue | readonly SchemalessValue[]> = {};
  for (const [fieldNo, values] of fields) {
    message[String(fieldNo)] = values.length === 1 && values[0] !== undefined ? values[0] : values;
  }
  return message;
}

function malformed(offset: number, reason: string): Failure {
  return { limit: false, offset, reason };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
