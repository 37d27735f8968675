/**
 * Checks that bytes fit a message type before they are decoded with it.
 *
 * The `@bufbuild/protobuf` binary reader trusts the schema: a field whose wire type differs from
 * its declared type is read anyway and yields wrong values instead of an error. Walking the bytes
 * first and comparing every known field's wire type with its declaration turns such a mismatch into
 * a clear error, so the caller can fall back to the schemaless view.
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** Nesting levels checked; deeper messages are left to the decoder's own recursion limit. */
const MAX_DEPTH = 100;

/** Returns null when every known field of `bytes` has a wire type its declaration allows. */
export function checkWireTypes(desc: DescMessage, bytes: Uint8Array): string | null {
  try {
    return checkMessage(desc, new BinaryReader(bytes), bytes, 0, undefined);
  } catch (error) {
    return `malformed bytes for ${desc.typeName}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function checkMessage(
  desc: DescMessage,
  reader: BinaryReader,
  bytes: Uint8Array,
  depth: number,
  group: number | undefined,
): string | null {
  if (depth > MAX_DEPTH) return null;
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (wireType === WireType.EndGroup) {
      return fieldNo === group ? null : `${desc.typeName}: unexpected end-group tag ${fieldNo}`;
    }
    const field = desc.fields.find((candidate) => candidate.number === fieldNo);
    const start = reader.pos;
    const content = reader.skip(wireType, fieldNo);
    if (field === undefined) continue;
    const problem = checkField(field, wireType, bytes, start, content, depth);
    if (problem !== null) return problem;
  }
  return group === undefined ? null : `${desc.typeName}: group ${group} has no end`;
}

function checkField(
  field: DescField,
  wireType: WireType,
  bytes: Uint8Array,
  start: number,
  content: Uint8Array,
  depth: number,
): string | null {
  const mismatch = (): string =>
    `field ${field.parent.typeName}.${field.name} (${field.number}) has wire type ${describeWireType(wireType)}`;
  const checkNested = (message: DescMessage, delimited: boolean): string | null => {
    if (delimited) {
      if (wireType !== WireType.StartGroup) return mismatch();
      const reader = new BinaryReader(bytes);
      reader.pos = start;
      return checkMessage(message, reader, bytes, depth + 1, field.number);
    }
    if (wireType !== WireType.LengthDelimited) return mismatch();
    const inner = lengthPrefixed(content);
    return checkMessage(message, new BinaryReader(inner), inner, depth + 1, undefined);
  };
  switch (field.fieldKind) {
    case 'scalar':
      return wireType === scalarWireType(field.scalar) ? null : mismatch();
    case 'enum':
      return wireType === WireType.Varint ? null : mismatch();
    case 'message':
      return checkNested(field.message, field.delimitedEncoding);
    case 'list':
      switch (field.listKind) {
        case 'message':
          return checkNested(field.message, field.delimitedEncoding);
        case 'enum':
          return wireType === WireType.Varint || wireType === WireType.LengthDelimited
            ? null
            : mismatch();
        case 'scalar': {
          const expected = scalarWireType(field.scalar);
          const packable = expected !== WireType.LengthDelimited;
          return wireType === expected || (packable && wireType === WireType.LengthDelimited)
            ? null
            : mismatch();
        }
      }
      return null;
    case 'map':
      if (wireType !== WireType.LengthDelimited) return mismatch();
      return checkMapEntry(field, lengthPrefixed(content), depth);
  }
}

/** A map entry is a small message: key = 1, value = 2. */
function checkMapEntry(
  field: DescField & { fieldKind: 'map' },
  entry: Uint8Array,
  depth: number,
): string | null {
  const reader = new BinaryReader(entry);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const content = reader.skip(wireType, fieldNo);
    let expected: WireType | undefined;
    if (fieldNo === 1) expected = scalarWireType(field.mapKey);
    else if (fieldNo === 2) {
      expected =
        field.mapKind === 'scalar'
          ? scalarWireType(field.scalar)
          : field.mapKind === 'enum'
            ? WireType.Varint
            : WireType.LengthDelimited;
    }
    if (expected === undefined) continue;
    if (wireType !== expected) {
      return `map field ${field.parent.typeName}.${field.name} (${field.number}): entry field ${fieldNo} has wire type ${describeWireType(wireType)}`;
    }
    if (fieldNo === 2 && field.mapKind === 'message') {
      const inner = lengthPrefixed(content);
      const problem = checkMessage(
        field.message,
        new BinaryReader(inner),
        inner,
        depth + 1,
        undefined,
      );
      if (problem !== null) return problem;
    }
  }
  return null;
}

/** The content of a length-delimited value, without its length prefix. */
function lengthPrefixed(skipped: Uint8Array): Uint8Array {
  const reader = new BinaryReader(skipped);
  const length = reader.uint32();
  return skipped.subarray(reader.pos, reader.pos + length);
}

function scalarWireType(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    default:
      return WireType.Varint;
  }
}

function describeWireType(wireType: WireType): string {
  return `${wireType} (${WireType[wireType]})`;
}
