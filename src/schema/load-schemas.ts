/**
 * Loads the user's schemas from disk: `--proto FILE_OR_DIR` with `--proto-path` import roots, and
 * `--descriptor-set FILE` (FileDescriptorSet binaries from `protoc --include_imports
 * --descriptor_set_out` or `buf build -o`). See `docs/decoding.md`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type FileDescriptorProto, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { createSchemaRegistry, type SchemaRegistry } from './message-schema.js';
import { parseProtoSources } from './parse-proto-sources.js';
import { SchemaLoadError } from './schema-load-error.js';

export interface LoadSchemasOptions {
  /** `.proto` files, or directories meaning every `.proto` file below them. */
  readonly protoFiles: readonly string[];
  /** Import roots searched, in order, for `import "..."`. */
  readonly protoPaths: readonly string[];
  /** FileDescriptorSet files. */
  readonly descriptorSets: readonly string[];
}

/**
 * Loads every schema source into one registry. A `--proto` file is named by its path below the
 * first import root that contains it (below its own directory, or the directory given, when none
 * does), and that directory is searched for imports after the `--proto-path` roots. Files appear
 * once whatever the number of sources naming them (`--proto` files first, then descriptor sets in
 * order). Rejects with `SchemaLoadError` naming the file at fault.
 */
export async function loadSchemas(options: LoadSchemasOptions): Promise<SchemaRegistry> {
  const roots = options.protoPaths.map((root) => path.resolve(root));
  const entries: string[] = [];
  const implicitRoots: string[] = [];
  for (const given of options.protoFiles) {
    const absolute = path.resolve(given);
    const isDirectory = statOrThrow(absolute, given).isDirectory();
    const ownRoot = isDirectory ? absolute : path.dirname(absolute);
    if (!implicitRoots.includes(ownRoot)) implicitRoots.push(ownRoot);
    for (const file of isDirectory ? listProtoFiles(absolute) : [absolute]) {
      const root = roots.find((candidate) => isInside(file, candidate)) ?? ownRoot;
      entries.push(path.relative(root, file).split(path.sep).join('/'));
    }
  }
  const searchRoots = [...roots, ...implicitRoots.filter((root) => !roots.includes(root))];
  const files: FileDescriptorProto[] =
    entries.length > 0 ? parseProtoSources(entries, (name) => readImport(name, searchRoots)) : [];
  for (const setPath of options.descriptorSets) files.push(...readDescriptorSet(setPath));

  const registry = createSchemaRegistry(files);
  if (registry.problems.length > 0) {
    throw new SchemaLoadError(`cannot load the schema:\n  ${registry.problems.join('\n  ')}`);
  }
  return registry;
}

function readImport(name: string, roots: readonly string[]): string | null {
  if (path.isAbsolute(name) || name.split('/').includes('..')) return null;
  for (const root of roots) {
    const text = readTextIfExists(path.join(root, name));
    if (text !== null) return text;
  }
  // google/protobuf/descriptor.proto and friends, for custom options, without a --proto-path.
  return name.startsWith('google/protobuf/')
    ? readTextIfExists(path.join(protobufjsDirectory(), name))
    : null;
}

function readDescriptorSet(file: string): FileDescriptorProto[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new SchemaLoadError(`${file}: ${describeError(error)}`);
  }
  try {
    return fromBinary(FileDescriptorSetSchema, bytes).file;
  } catch (error) {
    throw new SchemaLoadError(`${file}: not a FileDescriptorSet (${describeError(error)})`);
  }
}

function listProtoFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: false, encoding: 'utf8' })
    .filter((name) => name.endsWith('.proto'))
    .map((name) => path.join(directory, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

function statOrThrow(absolute: string, given: string) {
  try {
    return statSync(absolute);
  } catch (error) {
    throw new SchemaLoadError(`--proto ${given}: ${describeError(error)}`);
  }
}

function readTextIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

let protobufjsRoot: string | undefined;

function protobufjsDirectory(): string {
  protobufjsRoot ??= path.dirname(
    createRequire(import.meta.url).resolve('protobufjs/package.json'),
  );
  return protobufjsRoot;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
