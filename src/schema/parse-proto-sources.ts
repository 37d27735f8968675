/**
 * Parses `.proto` text with protobuf.js (no protoc needed) and returns FileDescriptorProtos.
 * Reading files is the caller's business (`readSource`), so this stays free of I/O.
 */
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import { convertProtobufjsRoot } from './convert-protobufjs-root.js';
import { SchemaLoadError } from './schema-load-error.js';

/** Returns the text of the file an import names (`import "a/b.proto"` asks for `a/b.proto`). */
export type ReadProtoSource = (importName: string) => string | null;

/** protobuf.js takes the name it stamps on parsed objects from this module-level property. */
const parser = protobuf.parse as unknown as { filename: string | null };

/**
 * Parses the files named in `entries` and, transitively, everything they import. Well-known
 * `google/protobuf/*.proto` imports that protobuf.js bundles need no file. Throws
 * `SchemaLoadError` naming the file at fault.
 */
export function parseProtoSources(
  entries: readonly string[],
  readSource: ReadProtoSource,
): FileDescriptorProto[] {
  const root = new protobuf.Root();
  const seen = new Set<string>();
  const queue: { name: string; importedBy: string | null; weak: boolean }[] = entries.map(
    (name) => ({ name, importedBy: null, weak: false }),
  );
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { name, importedBy, weak } = next;
    if (seen.has(name)) continue;
    seen.add(name);
    const bundled = protobuf.common.get(name);
    if (bundled !== null && bundled.nested !== undefined) {
      root.addJSON(bundled.nested);
      continue;
    }
    const text = readSource(name);
    if (text === null) {
      if (weak) continue;
      throw new SchemaLoadError(
        importedBy === null
          ? `${name}: file not found`
          : `${importedBy}: import "${name}" not found`,
      );
    }
    let parsed: protobuf.IParserResult;
    try {
      parser.filename = name;
      parsed = protobuf.parse(text, root, { keepCase: true });
    } catch (error) {
      throw new SchemaLoadError(`${name}: ${describeError(error)}`);
    } finally {
      parser.filename = null;
    }
    for (const imported of parsed.imports ?? []) {
      queue.push({ name: imported, importedBy: name, weak: false });
    }
    for (const imported of parsed.weakImports ?? []) {
      queue.push({ name: imported, importedBy: name, weak: true });
    }
  }
  try {
    root.resolveAll();
  } catch (error) {
    throw new SchemaLoadError(describeError(error));
  }
  return convertProtobufjsRoot(root);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
