/**
 * Turns FileDescriptorProtos from any source (descriptor sets, reflection, parsed `.proto` files)
 * into one `@bufbuild/protobuf` registry, loading what can be loaded and naming what cannot.
 *
 * - Files are de-duplicated by name; the first one wins.
 * - The well-known types (`google/protobuf/*.proto`) always come from the descriptors built into
 *   `@bufbuild/protobuf`, so their special JSON forms work whatever the source sent; input files
 *   with those names, or that declare only well-known types, are dropped.
 * - References are normalized (see `normalize-file-descriptor.ts`) and files are loaded in import
 *   order; a file that cannot be loaded (missing type, import cycle, invalid descriptor) is left
 *   out together with the files that need it, and each is listed in `problems`.
 */
import {
  clone,
  createFileRegistry,
  createRegistry,
  type DescFile,
  type Registry,
} from '@bufbuild/protobuf';
import * as wkt from '@bufbuild/protobuf/wkt';
import { type FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import {
  collectSymbols,
  listTopLevelSymbols,
  normalizeFileDescriptor,
  type SymbolTable,
} from './normalize-file-descriptor.js';

export interface BuiltFileRegistry {
  /** Every loaded type, well-known types included. */
  readonly registry: Registry;
  /** The loaded input files after normalization, dependencies before dependents. */
  readonly files: readonly FileDescriptorProto[];
  /** One line per input file left out, naming the file and the reason. */
  readonly problems: readonly string[];
}

/** Every `google/protobuf/*.proto` file @bufbuild/protobuf ships (its `file_google_protobuf_*` exports). */
const WELL_KNOWN_FILES: readonly DescFile[] = Object.entries(wkt)
  .filter(([name]) => name.startsWith('file_google_protobuf_'))
  .map(([, file]) => file as DescFile);

const wellKnownByName = new Map(WELL_KNOWN_FILES.map((file) => [file.proto.name, file]));
const wellKnownSymbols: SymbolTable = new Map();
for (const file of WELL_KNOWN_FILES) collectSymbols(file.proto, wellKnownSymbols);

/** Whether `name` (e.g. `google/protobuf/timestamp.proto`) is built in and needs no descriptor. */
export function isWellKnownFile(name: string): boolean {
  return wellKnownByName.has(name);
}

/** Builds a registry from `inputs`; never throws (see the module comment for what is dropped). */
export function buildFileRegistry(inputs: readonly FileDescriptorProto[]): BuiltFileRegistry {
  const problems: string[] = [];
  const files = new Map<string, FileDescriptorProto>();
  for (const input of inputs) {
    if (files.has(input.name) || wellKnownByName.has(input.name)) continue;
    const symbols = listTopLevelSymbols(input);
    if (symbols.length > 0 && symbols.every((name) => wellKnownSymbols.has(name))) continue;
    files.set(input.name, clone(FileDescriptorProtoSchema, input));
  }

  const symbols: SymbolTable = new Map(wellKnownSymbols);
  for (const file of files.values()) collectSymbols(file, symbols);
  const knownFiles = new Set([...files.keys(), ...wellKnownByName.keys()]);
  const failed = new Set<string>();
  for (const file of files.values()) {
    const unresolved = normalizeFileDescriptor(file, symbols, knownFiles);
    if (unresolved.length > 0) {
      failed.add(file.name);
      problems.push(`${file.name}: ${unresolved.join('; ')}`);
    }
  }

  const built = new Map<string, DescFile>();
  const loaded: FileDescriptorProto[] = [];
  for (const file of sortByImports(files, problems, failed)) {
    const missing = file.dependency.find((name) => failed.has(name));
    if (failed.has(file.name) || missing !== undefined) {
      if (!failed.has(file.name)) problems.push(`${file.name}: needs ${missing}, which failed`);
      failed.add(file.name);
      continue;
    }
    try {
      const registry = createFileRegistry(
        file,
        (name) => built.get(name) ?? wellKnownByName.get(name),
      );
      const desc = registry.getFile(file.name);
      if (desc === undefined) throw new Error('not loaded');
      built.set(file.name, desc);
      loaded.push(file);
    } catch (error) {
      failed.add(file.name);
      problems.push(`${file.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    registry: createRegistry(...WELL_KNOWN_FILES, ...built.values()),
    files: loaded,
    problems,
  };
}

/** Dependencies before dependents; files on an import cycle are marked failed. */
function sortByImports(
  files: ReadonlyMap<string, FileDescriptorProto>,
  problems: string[],
  failed: Set<string>,
): FileDescriptorProto[] {
  const order: FileDescriptorProto[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: FileDescriptorProto, path: readonly string[]): void => {
    const seen = state.get(file.name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(file.name)), file.name];
      problems.push(`${file.name}: import cycle ${cycle.join(' -> ')}`);
      for (const name of cycle) failed.add(name);
      return;
    }
    state.set(file.name, 'visiting');
    for (const name of file.dependency) {
      const dependency = files.get(name);
      if (dependency !== undefined) visit(dependency, [...path, file.name]);
    }
    state.set(file.name, 'done');
    order.push(file);
  };
  for (const file of files.values()) visit(file, []);
  return order;
}
