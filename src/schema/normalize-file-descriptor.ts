/**
 * Makes a FileDescriptorProto safe to load whatever produced it.
 *
 * `protoc` and `buf` write fully-qualified type names and exact import lists, but descriptors made
 * by protobuf.js (`Root#toDescriptor`, used by `@grpc/proto-loader` and so by `@grpc/reflection`)
 * use relative type names, invented file names and no imports. Resolving every reference against
 * all known symbols, with the scoping rules of the protobuf language, and deriving the import list
 * from what is referenced gives both kinds the same shape.
 */
import { isFieldSet } from '@bufbuild/protobuf';
import { protoCamelCase } from '@bufbuild/protobuf/reflect';
import {
  type DescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

export type SymbolKind = 'message' | 'enum' | 'service' | 'extension';

export interface SymbolEntry {
  /** The name of the file that declares the symbol. */
  readonly file: string;
  readonly kind: SymbolKind;
}

/** Fully-qualified names, without the leading dot, to where they are declared. */
export type SymbolTable = Map<string, SymbolEntry>;

/** Adds the symbols declared in `file` to `symbols`; existing entries win. */
export function collectSymbols(file: FileDescriptorProto, symbols: SymbolTable): void {
  const add = (name: string, kind: SymbolKind): void => {
    if (!symbols.has(name)) symbols.set(name, { file: file.name, kind });
  };
  const addMessage = (message: DescriptorProto, scope: string): void => {
    const name = joinName(scope, message.name);
    add(name, 'message');
    for (const nested of message.nestedType) addMessage(nested, name);
    for (const enumType of message.enumType) add(joinName(name, enumType.name), 'enum');
    for (const extension of message.extension) add(joinName(name, extension.name), 'extension');
  };
  for (const message of file.messageType) addMessage(message, file.package);
  for (const enumType of file.enumType) add(joinName(file.package, enumType.name), 'enum');
  for (const service of file.service) add(joinName(file.package, service.name), 'service');
  for (const extension of file.extension) add(joinName(file.package, extension.name), 'extension');
}

/** The top-level symbols `file` declares (messages, enums, services, extensions). */
export function listTopLevelSymbols(file: FileDescriptorProto): string[] {
  return [...file.messageType, ...file.enumType, ...file.service, ...file.extension].map((item) =>
    joinName(file.package, item.name),
  );
}

/**
 * Rewrites, in place, every type reference of `file` to its fully-qualified form (`.pkg.Name`),
 * fills in missing JSON field names (as protoc computes them), and sets `dependency` to the declared imports that exist in `knownFiles` plus the files of every
 * referenced symbol. Returns the references that could not be resolved; a file with any is unusable.
 */
export function normalizeFileDescriptor(
  file: FileDescriptorProto,
  symbols: SymbolTable,
  knownFiles: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const referenced = new Set<string>();
  const resolve = (name: string, scope: string, kinds: readonly SymbolKind[], what: string) => {
    const found = resolveTypeName(name, scope, symbols, kinds);
    if (found === null) {
      problems.push(`${what}: type ${name} not found`);
      return null;
    }
    referenced.add(found.entry.file);
    return found;
  };
  const rewriteField = (field: FieldDescriptorProto, scope: string, isExtension: boolean): void => {
    const what = `field ${joinName(scope, field.name)}`;
    // protoc always writes json_name and the registry trusts it; other producers often omit it.
    if (!isFieldSet(field, FieldDescriptorProtoSchema.field.jsonName)) {
      field.jsonName = protoCamelCase(field.name);
    }
    if (field.typeName !== '') {
      // protoc may leave `type` unset when it only knows the name; proto2 then reads it as DOUBLE.
      const typeSet = isFieldSet(field, FieldDescriptorProtoSchema.field.type);
      const kinds = typeSet ? kindsForField(field.type) : (['message', 'enum'] as const);
      const found = resolve(field.typeName, scope, kinds, what);
      if (found !== null) {
        field.typeName = `.${found.name}`;
        if (!typeSet) {
          field.type =
            found.entry.kind === 'enum'
              ? FieldDescriptorProto_Type.ENUM
              : FieldDescriptorProto_Type.MESSAGE;
        }
      }
    }
    if (isExtension && field.extendee !== '') {
      const found = resolve(field.extendee, scope, ['message'], what);
      if (found !== null) field.extendee = `.${found.name}`;
    }
  };
  const rewriteMessage = (message: DescriptorProto, scope: string): void => {
    const name = joinName(scope, message.name);
    for (const field of message.field) rewriteField(field, name, false);
    for (const extension of message.extension) rewriteField(extension, name, true);
    for (const nested of message.nestedType) rewriteMessage(nested, name);
  };
  for (const message of file.messageType) rewriteMessage(message, file.package);
  for (const extension of file.extension) rewriteField(extension, file.package, true);
  for (const service of file.service) {
    for (const method of service.method) {
      const what = `method ${joinName(file.package, service.name)}.${method.name}`;
      const input = resolve(method.inputType, file.package, ['message'], what);
      if (input !== null) method.inputType = `.${input.name}`;
      const output = resolve(method.outputType, file.package, ['message'], what);
      if (output !== null) method.outputType = `.${output.name}`;
    }
  }
  const declared = file.dependency.filter((name) => knownFiles.has(name));
  referenced.delete(file.name);
  file.dependency = [...new Set([...declared, ...referenced])];
  // Indexes into the old import list; they only matter to code generators.
  file.publicDependency = [];
  file.weakDependency = [];
  return problems;
}

/**
 * Resolves `name` as written in `scope` (a package or message name): absolute names (leading dot)
 * as they are, relative ones from the innermost scope outwards, as protoc does.
 */
export function resolveTypeName(
  name: string,
  scope: string,
  symbols: SymbolTable,
  kinds: readonly SymbolKind[],
): { readonly name: string; readonly entry: SymbolEntry } | null {
  const accept = (candidate: string) => {
    const entry = symbols.get(candidate);
    return entry !== undefined && kinds.includes(entry.kind) ? { name: candidate, entry } : null;
  };
  if (name.startsWith('.')) return accept(name.slice(1));
  const parts = scope === '' ? [] : scope.split('.');
  for (let length = parts.length; length >= 0; length--) {
    const found = accept(joinName(parts.slice(0, length).join('.'), name));
    if (found !== null) return found;
  }
  return null;
}

function kindsForField(type: FieldDescriptorProto_Type): readonly SymbolKind[] {
  switch (type) {
    case FieldDescriptorProto_Type.ENUM:
      return ['enum'];
    case FieldDescriptorProto_Type.MESSAGE:
    case FieldDescriptorProto_Type.GROUP:
      return ['message'];
    default:
      return ['message', 'enum'];
  }
}

function joinName(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}
