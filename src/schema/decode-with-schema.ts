/**
 * Decodes bytes with a message type into proto-JSON (field names are the JSON names of the schema,
 * 64-bit integers are strings, enums are names, bytes are base64, unset fields are left out), and
 * shows what the schema does not know instead of dropping it:
 *
 * - fields on the wire that the schema lacks appear as `"_unknown": <schemaless view>` in the
 *   object of the message that carried them;
 * - a `google.protobuf.Any` whose type is not in the registry appears as
 *   `{ "@type": url, "_unknown": <schemaless view of its value> }`.
 */
import {
  fromBinary,
  type JsonObject,
  type JsonValue,
  type Registry,
  toJson,
} from '@bufbuild/protobuf';
import { type ReflectMessage, reflect } from '@bufbuild/protobuf/reflect';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { checkWireTypes } from './check-wire-types.js';
import { decodeSchemaless } from './decode-schemaless.js';
import { createUnresolvedAnyRegistry } from './unresolved-any-registry.js';

export type SchemaDecodeResult = { readonly json: JsonValue } | { readonly error: string };

/** Key under which fields unknown to the schema are shown. */
export const UNKNOWN_FIELDS_KEY = '_unknown';

/** Messages whose proto-JSON form is not an object of their fields. */
const CUSTOM_JSON_TYPES = new Set([
  'google.protobuf.Any',
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

/** Any nesting followed when showing unknown fields; deeper values are still in the JSON. */
const MAX_DEPTH = 100;

/**
 * Decodes `bytes` as `typeName` from `registry`. Returns `{ error }` (never throws) when the type is
 * unknown, the wire types do not fit the schema, or the bytes are malformed.
 */
export function decodeWithSchema(
  registry: Registry,
  typeName: string,
  bytes: Uint8Array,
): SchemaDecodeResult {
  const desc = registry.getMessage(typeName);
  if (desc === undefined) return { error: `message type ${typeName} is not in the schema` };
  const mismatch = checkWireTypes(desc, bytes);
  if (mismatch !== null) return { error: mismatch };
  try {
    const message = fromBinary(desc, bytes, { readUnknownFields: true });
    const unresolved = new Set<string>();
    walkMessages(reflect(desc, message), undefined, registry, 0, (current) => {
      if (current.desc.typeName !== 'google.protobuf.Any') return;
      const typeName = typeNameOf(current.message as Any);
      if (typeName !== '' && registry.getMessage(typeName) === undefined) unresolved.add(typeName);
    });
    const withAnys =
      unresolved.size > 0 ? createUnresolvedAnyRegistry(registry, unresolved) : registry;
    const json = toJson(desc, message, { registry: withAnys, alwaysEmitImplicit: false });
    walkMessages(reflect(desc, message), json, withAnys, 0, (current, object) => {
      if (object !== undefined) attachUnknownFields(current, object, withAnys);
    });
    return { json };
  } catch (error) {
    return {
      error: `cannot decode ${typeName}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

type Visitor = (message: ReflectMessage, json: JsonObject | undefined) => void;

/** Visits `message` and every message inside it, with the JSON object that shows it, if any. */
function walkMessages(
  message: ReflectMessage,
  json: JsonValue | undefined,
  registry: Registry,
  depth: number,
  visit: Visitor,
): void {
  if (depth > MAX_DEPTH) return;
  const object = isJsonObject(json) ? json : undefined;
  visit(message, object);
  if (message.desc.typeName === 'google.protobuf.Any') {
    const inner = anyUnpack(message.message as Any, registry);
    const innerDesc = inner === undefined ? undefined : registry.getMessage(inner.$typeName);
    if (inner !== undefined && innerDesc !== undefined) {
      // A custom-JSON type inside an Any sits under "value"; any other type's fields sit beside "@type".
      const innerJson = CUSTOM_JSON_TYPES.has(innerDesc.typeName) ? undefined : object;
      walkMessages(reflect(innerDesc, inner), innerJson, registry, depth + 1, visit);
    }
    return;
  }
  if (CUSTOM_JSON_TYPES.has(message.desc.typeName)) return;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const member = object?.[field.jsonName];
    switch (field.fieldKind) {
      case 'message':
        walkMessages(message.get(field), member, registry, depth + 1, visit);
        break;
      case 'list':
        if (field.listKind !== 'message') break;
        for (const [index, item] of message.get(field).entries()) {
          const itemJson = Array.isArray(member) ? member[index] : undefined;
          walkMessages(item as ReflectMessage, itemJson, registry, depth + 1, visit);
        }
        break;
      case 'map':
        if (field.mapKind !== 'message') break;
        for (const [key, value] of message.get(field)) {
          const valueJson = isJsonObject(member) ? member[String(key)] : undefined;
          walkMessages(value as ReflectMessage, valueJson, registry, depth + 1, visit);
        }
        break;
      default:
        break;
    }
  }
}

function attachUnknownFields(message: ReflectMessage, json: JsonObject, registry: Registry): void {
  const unknown = message
    .getUnknown()
    ?.filter((field) => registry.getExtensionFor(message.desc, field.no) === undefined);
  if (unknown === undefined || unknown.length === 0) return;
  const writer = new BinaryWriter();
  for (const field of unknown) writer.tag(field.no, field.wireType).raw(field.data);
  json[UNKNOWN_FIELDS_KEY] = decodeSchemaless(writer.finish()).value as unknown as JsonValue;
}

function typeNameOf(any: Any): string {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1);
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
