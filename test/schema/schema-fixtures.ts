/**
 * Shared test fixtures: the fixture schemas, and an independent encoder (protobuf.js) to make the
 * bytes that grpctap's decoders read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { loadSchemas } from '../../src/schema/load-schemas.js';
import type { SchemaRegistry } from '../../src/schema/message-schema.js';

function findRepoRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'fixtures', 'proto'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('fixtures/proto not found above the test file');
    directory = parent;
  }
  return directory;
}

export const REPO_ROOT = findRepoRoot();
export const PROTO_MAIN = path.join(REPO_ROOT, 'fixtures', 'proto', 'main');
export const PROTO_SHARED = path.join(REPO_ROOT, 'fixtures', 'proto', 'shared');
export const SHOP_SET = path.join(REPO_ROOT, 'fixtures', 'descriptor-sets', 'shop.binpb');
export const PROFILE_SET = path.join(REPO_ROOT, 'fixtures', 'descriptor-sets', 'profile.binpb');
export const SHOP_PROTO = path.join(PROTO_MAIN, 'grpctap', 'fixtures', 'v1', 'shop.proto');

export function loadFromProtoFiles(): Promise<SchemaRegistry> {
  return loadSchemas({
    protoFiles: [PROTO_MAIN],
    protoPaths: [PROTO_MAIN, PROTO_SHARED],
    descriptorSets: [],
  });
}

export function loadFromDescriptorSets(): Promise<SchemaRegistry> {
  return loadSchemas({ protoFiles: [], protoPaths: [], descriptorSets: [SHOP_SET, PROFILE_SET] });
}

let encoderRoot: protobuf.Root | undefined;

/** Encodes `value` (protobuf.js object form, field names as in the .proto) as `typeName`. */
export function encode(typeName: string, value: Record<string, unknown>): Uint8Array {
  if (encoderRoot === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      if (target.startsWith('google/protobuf/')) return target;
      const shared = path.join(PROTO_SHARED, target);
      return existsSync(shared) ? shared : path.join(PROTO_MAIN, target);
    };
    root.loadSync(
      [
        'grpctap/fixtures/v1/shop.proto',
        'grpctap/fixtures/v1/profile.proto',
        'grpctap/fixtures/v2/profile.proto',
        'grpctap/fixtures/v1/legacy.proto',
      ],
      { keepCase: true },
    );
    encoderRoot = root;
  }
  const type = encoderRoot.lookupType(typeName);
  return type.encode(type.fromObject(value)).finish();
}

/** Bytes from hex; spaces are ignored. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
