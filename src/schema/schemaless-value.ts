/**
 * The JSON shape of the schemaless view, and the readings of single wire values.
 *
 * Every shape can be told apart from the others by its JSON type or its keys, so the view is
 * lossless about content (not about byte layout: field interleaving and non-minimal varints are
 * not kept). See `docs/decoding.md`.
 */

/** A varint above 2^53 - 1: decimal strings; `int64` and `sint64` only when the top bit is set. */
export interface SchemalessVarint {
  readonly varint: string;
  readonly int64?: number | string;
  readonly sint64?: number | string;
}

/** Wire type 5. `sfixed32` only when it differs from `fixed32`. */
export interface SchemalessFixed32 {
  readonly fixed32: number;
  readonly sfixed32?: number;
  readonly float: number | string;
}

/** Wire type 1. `sfixed64` only when it differs from `fixed64`. */
export interface SchemalessFixed64 {
  readonly fixed64: number | string;
  readonly sfixed64?: number | string;
  readonly double: number | string;
}

/** A length-delimited value that is neither printable text nor a complete message. */
export interface SchemalessBytes {
  readonly bytes: string;
}

/** A proto2 group (wire types 3 and 4). */
export interface SchemalessGroup {
  readonly group: SchemalessMessage;
}

/** Bytes left undecoded (malformed input or a limit), from `offset` in the decoded buffer. */
export interface SchemalessRest {
  readonly offset: number;
  readonly bytes: string;
}

/**
 * One wire value: a JSON number is a varint up to 2^53 - 1; a JSON string is printable UTF-8 text;
 * objects are told apart by their keys (a nested message has only field-number keys).
 */
export type SchemalessValue =
  | number
  | string
  | SchemalessVarint
  | SchemalessFixed32
  | SchemalessFixed64
  | SchemalessBytes
  | SchemalessGroup
  | SchemalessMessage;

/**
 * A message: field number (decimal) to its value, or to an array of values when the field occurs
 * more than once. The key `_rest` holds bytes that could not be decoded.
 */
export interface SchemalessMessage {
  readonly [fieldNumber: string]: SchemalessValue | readonly SchemalessValue[] | SchemalessRest;
}

const TWO_POW_63 = 1n << 63n;
const TWO_POW_64 = 1n << 64n;
const TWO_POW_31 = 2 ** 31;
const TWO_POW_32 = 2 ** 32;

/** An integer as a JSON number when it is safe, otherwise as a decimal string. */
export function toJsonInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** A float reading for JSON: `NaN`, `Infinity`, `-Infinity` and `-0` as strings, as proto-JSON does. */
export function toJsonFloat(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  return value;
}

/** The shortest decimal that reads back as the same float32 (so 0.1f shows as 0.1). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** Reads a 64-bit unsigned varint value. */
export function describeVarint(value: bigint): number | SchemalessVarint {
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (value < TWO_POW_63) return { varint: value.toString() };
  const zigzag = value & 1n ? -((value >> 1n) + 1n) : value >> 1n;
  return {
    varint: value.toString(),
    int64: toJsonInteger(value - TWO_POW_64),
    sint64: toJsonInteger(zigzag),
  };
}

/** Reads the 4 bytes of a wire type 5 value (little-endian). */
export function describeFixed32(bytes: Uint8Array): SchemalessFixed32 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const unsigned = view.getUint32(0, true);
  const float = toJsonFloat(shortestFloat32(view.getFloat32(0, true)));
  return unsigned >= TWO_POW_31
    ? { fixed32: unsigned, sfixed32: unsigned - TWO_POW_32, float }
    : { fixed32: unsigned, float };
}

/** Reads the 8 bytes of a wire type 1 value (little-endian). */
export function describeFixed64(bytes: Uint8Array): SchemalessFixed64 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const unsigned = view.getBigUint64(0, true);
  const double = toJsonFloat(view.getFloat64(0, true));
  return unsigned >= TWO_POW_63
    ? {
        fixed64: toJsonInteger(unsigned),
        sfixed64: toJsonInteger(unsigned - TWO_POW_64),
        double,
      }
    : { fixed64: toJsonInteger(unsigned), double };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Any byte outside printable ASCII, tab, LF and CR. */
const NOT_PRINTABLE_ASCII = /[^\t\n\r -~]/;

/** Any byte outside printable ASCII, or one JSON escapes: `"`, `\`, tab, LF, CR. */
const NOT_PLAIN_ASCII = /[^ !#-[\]-~]/;

/** Strings at least this long are reported as plain (JSON holds them without escapes). */
export const PLAIN_MIN_CHARS = 1024;

/**
 * The bytes as text when they are valid UTF-8 without control characters (tab, line feed and
 * carriage return allowed); null otherwise. Empty input is the empty string.
 *
 * @param plain - receives the text when it is at least {@link PLAIN_MIN_CHARS} long and no
 *   character of it needs escaping in JSON, found by the same scan that tells it is text (see
 *   `appendJson` in `src/output/line-builder.ts`).
 */
export function readPrintableText(bytes: Uint8Array, plain?: string[]): string | null {
  // Fast path, done natively: printable ASCII with tabs and line breaks is already valid UTF-8.
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (plain !== undefined && latin1.length >= PLAIN_MIN_CHARS && !NOT_PLAIN_ASCII.test(latin1)) {
    plain.push(latin1);
    return latin1;
  }
  if (!NOT_PRINTABLE_ASCII.test(latin1)) return latin1;
  for (const byte of bytes) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) {
      return null;
    }
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return null;
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // C1 controls only occur as two-byte sequences, so the byte scan above cannot see them.
    if (code >= 0x80 && code <= 0x9f) return null;
  }
  return text;
}
