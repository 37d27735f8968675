/**
 * A registry view that also knows, as messages without fields, the types named by
 * `google.protobuf.Any` values that the schema lacks. Decoding such an Any then succeeds and every
 * field of its value becomes an unknown field, which the caller shows schemalessly, instead of
 * `toJson` failing the whole message.
 */
import { create, createFileRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';

/** Empty descriptors depend only on the name, so they are shared; the bound keeps memory flat. */
const MAX_CACHED = 512;
const emptyMessages = new Map<string, DescMessage | null>();

/** `base` plus an empty message type for each of `typeNames` that `base` does not have. */
export function createUnresolvedAnyRegistry(base: Registry, typeNames: Iterable<string>): Registry {
  const extra = new Map<string, DescMessage>();
  for (const typeName of typeNames) {
    const desc = getEmptyMessage(typeName);
    if (desc !== null && base.get(typeName) === undefined) extra.set(typeName, desc);
  }
  return {
    kind: 'registry',
    *[Symbol.iterator]() {
      yield* base;
      yield* extra.values();
    },
    get: (typeName) => base.get(typeName) ?? extra.get(typeName),
    getMessage: (typeName) => base.getMessage(typeName) ?? extra.get(typeName),
    getEnum: (typeName) => base.getEnum(typeName),
    getExtension: (typeName) => base.getExtension(typeName),
    getExtensionFor: (extendee, no) => base.getExtensionFor(extendee, no),
    getService: (typeName) => base.getService(typeName),
  };
}

function getEmptyMessage(typeName: string): DescMessage | null {
  const cached = emptyMessages.get(typeName);
  if (cached !== undefined) return cached;
  if (emptyMessages.size >= MAX_CACHED) emptyMessages.clear();
  const dot = typeName.lastIndexOf('.');
  const file = create(FileDescriptorProtoSchema, {
    name: `grpctap/unresolved/${typeName}.proto`,
    package: dot < 0 ? '' : typeName.slice(0, dot),
    syntax: 'proto3',
    messageType: [{ name: typeName.slice(dot + 1) }],
  });
  let desc: DescMessage | null;
  try {
    desc = createFileRegistry(file, () => undefined).getMessage(typeName) ?? null;
  } catch {
    desc = null;
  }
  emptyMessages.set(typeName, desc);
  return desc;
}
