/**
 * The schema registry: one interface over every schema source (`--proto` files, descriptor sets,
 * server reflection). All of them end up as FileDescriptorProtos decoded by `@bufbuild/protobuf`,
 * so a message reads the same whichever way its schema arrived.
 */
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { buildFileRegistry } from './build-file-registry.js';
import { decodeWithSchema, type SchemaDecodeResult } from './decode-with-schema.js';

export type { SchemaDecodeResult } from './decode-with-schema.js';

/** Fully-qualified message type names (no leading dot) of one method. */
export interface MethodTypes {
  readonly requestType: string;
  readonly responseType: string;
}

export interface SchemaRegistry {
  /** The types of the method a gRPC path (`/pkg.Service/Method`) names; null when unknown here. */
  findMethod(path: string): MethodTypes | null;
  /** Whether the fully-qualified service name (`pkg.Service`) is known. */
  hasService(serviceName: string): boolean;
  /**
   * Decodes `bytes` as the message type `typeName` into proto-JSON; fields the schema lacks are
   * shown under `_unknown` (see `decode-with-schema.ts`). Never throws.
   */
  decode(typeName: string, bytes: Uint8Array): SchemaDecodeResult;
  /** The loaded files, normalized; pass them to `createSchemaRegistry` to merge registries. */
  readonly files: readonly FileDescriptorProto[];
  /** Files that could not be loaded, one line each; their types are missing from the registry. */
  readonly problems: readonly string[];
}

/** A gRPC method path split into its parts. */
export interface MethodPath {
  /** Fully-qualified service name, e.g. `pkg.Service`. */
  readonly service: string;
  readonly method: string;
}

/** Builds a registry from descriptors of any origin. Never throws; see `problems`. */
export function createSchemaRegistry(files: readonly FileDescriptorProto[]): SchemaRegistry {
  const built = buildFileRegistry(files);
  return {
    files: built.files,
    problems: built.problems,
    findMethod(path) {
      const parts = parseMethodPath(path);
      if (parts === null) return null;
      const method = built.registry
        .getService(parts.service)
        ?.methods.find((candidate) => candidate.name === parts.method);
      return method === undefined
        ? null
        : { requestType: method.input.typeName, responseType: method.output.typeName };
    },
    hasService(serviceName) {
      return built.registry.getService(serviceName) !== undefined;
    },
    decode(typeName, bytes) {
      return decodeWithSchema(built.registry, typeName, bytes);
    },
  };
}

/**
 * Splits `/pkg.Service/Method` (gRPC over HTTP/2, "Path → ':path' '/' Service-Name '/'
 * {method name}") into its parts; null for anything else.
 */
export function parseMethodPath(path: string): MethodPath | null {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { service: match[1], method: match[2] };
}
