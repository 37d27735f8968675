/**
 * Converts `.proto` files parsed by protobuf.js into FileDescriptorProtos, one per source file, so
 * that every schema source decodes through the same `@bufbuild/protobuf` code.
 *
 * protobuf.js's own `Root#toDescriptor` is not used: it merges files by package, invents file
 * names, writes relative type names and marks every file with one syntax. Here each top-level
 * object keeps the file it came from (`filename`, set while parsing) and its syntax or edition;
 * type references are written fully qualified. Imports are not listed: the registry builder derives
 * them from the references (see `normalize-file-descriptor.ts`).
 *
 * Covered: messages, nested types, fields (scalar, enum, message, group), maps, oneofs, proto3
 * `optional`, packed options, enums, services, extensions, extension and reserved ranges, and the
 * editions features that change the wire format or presence. Not covered (irrelevant to
 * decoding): custom options, default values, comments.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type DescriptorProtoSchema,
  Edition,
  type EnumDescriptorProtoSchema,
  FeatureSet_EnumType,
  FeatureSet_FieldPresence,
  FeatureSet_MessageEncoding,
  FeatureSet_RepeatedFieldEncoding,
  FeatureSet_Utf8Validation,
  type FeatureSetSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  type ServiceDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';

interface FileInit {
  readonly name: string;
  readonly package: string;
  readonly syntax: string;
  readonly edition?: Edition;
  readonly messageType: MessageInit[];
  readonly enumType: EnumInit[];
  readonly service: ServiceInit[];
  readonly extension: FieldInit[];
}
type MessageInit = MessageInitShape<typeof DescriptorProtoSchema>;
type EnumInit = MessageInitShape<typeof EnumDescriptorProtoSchema>;
type FieldInit = MessageInitShape<typeof FieldDescriptorProtoSchema>;
type ServiceInit = MessageInitShape<typeof ServiceDescriptorProtoSchema>;
type FeaturesInit = MessageInitShape<typeof FeatureSetSchema>;

/** Resolved features of a protobuf.js object; not part of its typings. */
interface WithFeatures {
  readonly _features?: Readonly<Record<string, string>>;
  readonly _edition?: string | null;
}

const SCALAR_TYPES: Readonly<Record<string, FieldDescriptorProto_Type>> = {
  double: FieldDescriptorProto_Type.DOUBLE,
  float: FieldDescriptorProto_Type.FLOAT,
  int64: FieldDescriptorProto_Type.INT64,
  uint64: FieldDescriptorProto_Type.UINT64,
  int32: FieldDescriptorProto_Type.INT32,
  fixed64: FieldDescriptorProto_Type.FIXED64,
  fixed32: FieldDescriptorProto_Type.FIXED32,
  bool: FieldDescriptorProto_Type.BOOL,
  string: FieldDescriptorProto_Type.STRING,
  bytes: FieldDescriptorProto_Type.BYTES,
  uint32: FieldDescriptorProto_Type.UINT32,
  sfixed32: FieldDescriptorProto_Type.SFIXED32,
  sfixed64: FieldDescriptorProto_Type.SFIXED64,
  sint32: FieldDescriptorProto_Type.SINT32,
  sint64: FieldDescriptorProto_Type.SINT64,
};

/**
 * Converts every object of `root` that has a `filename` (objects without one, such as the
 * well-known types protobuf.js bundles, are left out). `root` must be resolved (`resolveAll()`).
 */
export function convertProtobufjsRoot(root: protobuf.Root): FileDescriptorProto[] {
  const files = new Map<string, FileInit>();
  const fileFor = (object: protobuf.ReflectionObject): FileInit | null => {
    if (object.filename === null) return null;
    let file = files.get(object.filename);
    if (file === undefined) {
      file = {
        name: object.filename,
        package: object.parent?.fullName.slice(1) ?? '',
        messageType: [],
        enumType: [],
        service: [],
        extension: [],
        ...syntaxOf((object as WithFeatures)._edition),
      };
      files.set(object.filename, file);
    }
    return file;
  };
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        const file = fileFor(nested);
        file?.messageType.push(convertType(nested, isEditions(file)));
      } else if (nested instanceof protobuf.Enum) {
        const file = fileFor(nested);
        file?.enumType.push(convertEnum(nested, isEditions(file)));
      } else if (nested instanceof protobuf.Service) {
        fileFor(nested)?.service.push(convertService(nested));
      } else if (nested instanceof protobuf.Field) {
        const file = fileFor(nested);
        file?.extension.push(convertField(nested, [], [], isEditions(file), ''));
      } else if (nested instanceof protobuf.Namespace) {
        visit(nested);
      }
    }
  };
  visit(root);
  return [...files.values()].map((file) => create(FileDescriptorProtoSchema, file));
}

function syntaxOf(edition: string | null | undefined): Pick<FileInit, 'syntax' | 'edition'> {
  switch (edition) {
    case 'proto3':
      return { syntax: 'proto3' };
    case '2023':
      return { syntax: 'editions', edition: Edition.EDITION_2023 };
    case '2024':
      return { syntax: 'editions', edition: Edition.EDITION_2024 };
    case '2026':
      return { syntax: 'editions', edition: Edition.EDITION_2026 };
    default:
      return { syntax: 'proto2' };
  }
}

function isEditions(file: FileInit | null): boolean {
  return file?.syntax === 'editions';
}

function convertType(type: protobuf.Type, editions: boolean): MessageInit {
  // protoc lists the synthetic oneofs of proto3 `optional` fields after the real ones.
  const oneofs = [...type.oneofsArray].sort(
    (a, b) => Number(isSyntheticOneof(a)) - Number(isSyntheticOneof(b)),
  );
  const mapEntries: MessageInit[] = [];
  const nestedType: MessageInit[] = [];
  const enumType: EnumInit[] = [];
  const extension: FieldInit[] = [];
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) nestedType.push(convertType(nested, editions));
    else if (nested instanceof protobuf.Enum) enumType.push(convertEnum(nested, editions));
    else if (nested instanceof protobuf.Field) {
      extension.push(convertField(nested, [], [], editions, type.fullName));
    }
  }
  const field = type.fieldsArray
    .filter((candidate) => candidate.declaringField === null)
    .map((candidate) => convertField(candidate, oneofs, mapEntries, editions, type.fullName));
  return {
    name: type.name,
    field,
    nestedType: [...nestedType, ...mapEntries],
    enumType,
    extension,
    oneofDecl: oneofs.map((oneof) => ({ name: oneof.name })),
    // protobuf.js ranges are inclusive; descriptor ranges end one past the last number.
    extensionRange: (type.extensions ?? []).map(([start = 0, end = start]) => ({
      start,
      end: end + 1,
    })),
    reservedRange: (type.reserved ?? [])
      .filter((range): range is number[] => Array.isArray(range))
      .map(([start = 0, end = start]) => ({ start, end: end + 1 })),
    reservedName: (type.reserved ?? []).filter(
      (range): range is string => typeof range === 'string',
    ),
  };
}

function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]?.options?.proto3_optional === true;
}

function convertField(
  field: protobuf.Field,
  oneofs: readonly protobuf.OneOf[],
  mapEntries: MessageInit[],
  editions: boolean,
  parentName: string,
): FieldInit {
  const jsonName: unknown = field.options?.json_name;
  const base: FieldInit = {
    name: field.name,
    number: field.id,
    ...(typeof jsonName === 'string' ? { jsonName } : {}),
  };
  if (field instanceof protobuf.MapField) {
    const entryName = `${toCamelCase(field.name)}Entry`;
    mapEntries.push({
      name: entryName,
      field: [
        {
          name: 'key',
          number: 1,
          label: FieldDescriptorProto_Label.OPTIONAL,
          ...typeOf(field.keyType, null, false),
        },
        {
          name: 'value',
          number: 2,
          label: FieldDescriptorProto_Label.OPTIONAL,
          ...typeOf(field.type, field.resolvedType, false),
        },
      ],
      options: { mapEntry: true },
    });
    return {
      ...base,
      label: FieldDescriptorProto_Label.REPEATED,
      type: FieldDescriptorProto_Type.MESSAGE,
      typeName: `${parentName}.${entryName}`,
    };
  }
  const features = (field as unknown as WithFeatures)._features ?? {};
  const oneofIndex = field.partOf === null ? -1 : oneofs.indexOf(field.partOf);
  const label = field.repeated
    ? FieldDescriptorProto_Label.REPEATED
    : !editions && features.field_presence === 'LEGACY_REQUIRED'
      ? FieldDescriptorProto_Label.REQUIRED
      : FieldDescriptorProto_Label.OPTIONAL;
  const packed: unknown = field.options?.packed;
  const result: FieldInit = {
    ...base,
    label,
    ...typeOf(field.type, field.resolvedType, field.delimited && !editions),
    ...(oneofIndex >= 0 ? { oneofIndex } : {}),
    ...(field.options?.proto3_optional === true ? { proto3Optional: true } : {}),
    ...(field.extend !== undefined
      ? { extendee: field.extensionField?.parent?.fullName ?? field.extend }
      : {}),
  };
  if (editions) {
    result.options = { features: editionFeatures(field, features, oneofIndex >= 0) };
  } else if (typeof packed === 'boolean') {
    result.options = { packed };
  }
  return result;
}

/** The resolved features that matter for decoding, set explicitly where protoc allows them. */
function editionFeatures(
  field: protobuf.Field,
  features: Readonly<Record<string, string>>,
  inOneof: boolean,
): FeaturesInit {
  const result: FeaturesInit = {};
  const isMessage = field.resolvedType instanceof protobuf.Type;
  if (!field.repeated && !inOneof && features.field_presence !== undefined) {
    result.fieldPresence =
      FeatureSet_FieldPresence[features.field_presence as keyof typeof FeatureSet_FieldPresence];
  }
  if (field.repeated && !isMessage && field.type !== 'string' && field.type !== 'bytes') {
    result.repeatedFieldEncoding =
      FeatureSet_RepeatedFieldEncoding[
        features.repeated_field_encoding as keyof typeof FeatureSet_RepeatedFieldEncoding
      ];
  }
  if (isMessage && features.message_encoding !== undefined) {
    result.messageEncoding =
      FeatureSet_MessageEncoding[
        features.message_encoding as keyof typeof FeatureSet_MessageEncoding
      ];
  }
  if (field.type === 'string' && features.utf8_validation !== undefined) {
    result.utf8Validation =
      FeatureSet_Utf8Validation[features.utf8_validation as keyof typeof FeatureSet_Utf8Validation];
  }
  return result;
}

function typeOf(
  typeName: string,
  resolved: protobuf.Type | protobuf.Enum | null,
  group: boolean,
): Pick<FieldInit, 'type' | 'typeName'> {
  const scalar = SCALAR_TYPES[typeName];
  if (scalar !== undefined) return { type: scalar };
  if (resolved instanceof protobuf.Enum) {
    return { type: FieldDescriptorProto_Type.ENUM, typeName: resolved.fullName };
  }
  if (resolved instanceof protobuf.Type) {
    return {
      type: group ? FieldDescriptorProto_Type.GROUP : FieldDescriptorProto_Type.MESSAGE,
      typeName: resolved.fullName,
    };
  }
  return { typeName };
}

function convertEnum(enumType: protobuf.Enum, editions: boolean): EnumInit {
  const value = Object.entries(enumType.values).map(([name, number]) => ({ name, number }));
  const aliased = new Set(value.map((item) => item.number)).size < value.length;
  const closed = (enumType as unknown as WithFeatures)._features?.enum_type === 'CLOSED';
  const features = { enumType: closed ? FeatureSet_EnumType.CLOSED : FeatureSet_EnumType.OPEN };
  const options = { ...(aliased ? { allowAlias: true } : {}), ...(editions ? { features } : {}) };
  return { name: enumType.name, value, ...(Object.keys(options).length > 0 ? { options } : {}) };
}

function convertService(service: protobuf.Service): ServiceInit {
  return {
    name: service.name,
    method: service.methodsArray.map((method) => ({
      name: method.name,
      inputType: method.resolvedRequestType?.fullName ?? method.requestType,
      outputType: method.resolvedResponseType?.fullName ?? method.responseType,
      ...(method.requestStream === true ? { clientStreaming: true } : {}),
      ...(method.responseStream === true ? { serverStreaming: true } : {}),
    })),
  };
}

/** protoc's map entry naming: `items_by_slot` becomes `ItemsBySlot`. */
function toCamelCase(name: string): string {
  return name
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
