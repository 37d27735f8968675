import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import { loadSchemas } from '../../src/schema/load-schemas.js';
import { SchemaLoadError } from '../../src/schema/schema-load-error.js';
import {
  loadFromDescriptorSets,
  loadFromProtoFiles,
  PROTO_MAIN,
  PROTO_SHARED,
  SHOP_PROTO,
  SHOP_SET,
} from './schema-fixtures.js';

const FIXTURE_FILES = [
  'common/money.proto',
  'grpctap/fixtures/v1/legacy.proto',
  'grpctap/fixtures/v1/profile.proto',
  'grpctap/fixtures/v1/shop.proto',
  'grpctap/fixtures/v2/profile.proto',
];

let scratch = '';
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'grpctap-schema-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Writes `files` (name to text) under a fresh directory and returns it. */
function writeTree(name: string, files: Readonly<Record<string, string>>): string {
  const directory = path.join(scratch, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(directory, file)), { recursive: true });
    writeFileSync(path.join(directory, file), text);
  }
  return directory;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SchemaLoadError, `expected SchemaLoadError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the load to fail');
}

describe('loadSchemas from .proto files', () => {
  it('loads every .proto below a directory and finds imports in a second import root', async () => {
    const registry = await loadFromProtoFiles();
    assert.deepEqual(registry.files.map((file) => file.name).sort(), FIXTURE_FILES);
    assert.deepEqual(registry.findMethod('/grpctap.fixtures.v1.ShopService/WatchOrders'), {
      requestType: 'grpctap.fixtures.v1.GetOrderRequest',
      responseType: 'grpctap.fixtures.v1.Order',
    });
    assert.equal(registry.findMethod('/grpctap.fixtures.v1.ShopService/Nope'), null);
    assert.equal(registry.findMethod('not a path'), null);
  });

  it('names a --proto file by its path below the import root that contains it', async () => {
    const registry = await loadSchemas({
      protoFiles: [SHOP_PROTO],
      protoPaths: [PROTO_MAIN, PROTO_SHARED],
      descriptorSets: [],
    });
    assert.deepEqual(registry.files.map((file) => file.name).sort(), [
      'common/money.proto',
      'grpctap/fixtures/v1/shop.proto',
    ]);
  });

  it('finds imports beside a --proto file when no import root is given', async () => {
    const directory = writeTree('beside', {
      'a.proto': 'syntax = "proto3"; package a; import "b.proto"; message A { b.B b = 1; }',
      'b.proto': 'syntax = "proto3"; package b; message B { string text = 1; }',
    });
    const registry = await loadSchemas({
      protoFiles: [path.join(directory, 'a.proto')],
      protoPaths: [],
      descriptorSets: [],
    });
    assert.deepEqual(registry.decode('a.A', Uint8Array.of(0x0a, 0x03, 0x0a, 0x01, 0x78)), {
      json: { b: { text: 'x' } },
    });
  });

  it('reads .proto text into the same descriptors protoc writes', async () => {
    const fromProto = await loadFromProtoFiles();
    const fromProtoc = await loadFromDescriptorSets();
    const comparable = (file: FileDescriptorProto): unknown => {
      const json = toJson(FileDescriptorProtoSchema, file) as Record<string, unknown>;
      // protoc leaves the default syntax out.
      if (json.syntax === 'proto2') delete json.syntax;
      json.dependency = [...file.dependency].sort();
      return json;
    };
    for (const name of FIXTURE_FILES) {
      const mine = fromProto.files.find((file) => file.name === name);
      const protoc = fromProtoc.files.find((file) => file.name === name);
      assert.ok(mine !== undefined && protoc !== undefined, name);
      assert.deepEqual(comparable(mine), comparable(protoc), name);
    }
  });

  it('loads google/protobuf/descriptor.proto for custom options without an import root', async () => {
    const directory = writeTree('options', {
      'opts.proto': `syntax = "proto3";
        package opts;
        import "google/protobuf/descriptor.proto";
        extend google.protobuf.FieldOptions { string sensitive = 50000; }
        message Login { string password = 1 [(sensitive) = "yes"]; }`,
    });
    const registry = await loadSchemas({
      protoFiles: [directory],
      protoPaths: [],
      descriptorSets: [],
    });
    assert.deepEqual(registry.decode('opts.Login', Uint8Array.of(0x0a, 0x01, 0x70)), {
      json: { password: 'p' },
    });
  });

  it('loads edition 2023 files with their presence, packing, delimited and closed-enum features', async () => {
    const directory = writeTree('editions', {
      'e.proto': `edition = "2023";
        package ed;
        message E {
          int32 a = 1;
          int32 b = 2 [features.field_presence = IMPLICIT];
          repeated int32 c = 3;
          E child = 4 [features.message_encoding = DELIMITED];
          Kind kind = 5;
        }
        enum Kind {
          option features.enum_type = CLOSED;
          KIND_A = 1;
        }`,
    });
    const registry = await loadSchemas({
      protoFiles: [directory],
      protoPaths: [],
      descriptorSets: [],
    });
    // a = 0 and b = 0 on the wire; c packed; child as a group; kind 1 then the unknown value 9.
    const bytes = Uint8Array.from(
      Buffer.from('08001000 1a020102 23080524 2801 2809'.replace(/ /g, ''), 'hex'),
    );
    assert.deepEqual(registry.decode('ed.E', bytes), {
      json: { a: 0, c: [1, 2], child: { a: 5 }, kind: 'KIND_A', _unknown: { 5: 9 } },
    });
  });

  it('rejects a syntax error naming the file', async () => {
    const directory = writeTree('syntax', { 'bad.proto': 'syntax = "proto3"; message {' });
    const error = await rejection(
      loadSchemas({ protoFiles: [directory], protoPaths: [], descriptorSets: [] }),
    );
    assert.match(error.message, /bad\.proto/);
  });

  it('rejects a missing import naming the importing file', async () => {
    const directory = writeTree('missing', {
      'lonely.proto': 'syntax = "proto3"; import "nowhere/gone.proto"; message L {}',
    });
    const error = await rejection(
      loadSchemas({ protoFiles: [directory], protoPaths: [], descriptorSets: [] }),
    );
    assert.match(error.message, /lonely\.proto: import "nowhere\/gone\.proto" not found/);
  });

  it('rejects a --proto path that does not exist', async () => {
    const error = await rejection(
      loadSchemas({
        protoFiles: [path.join(scratch, 'absent')],
        protoPaths: [],
        descriptorSets: [],
      }),
    );
    assert.match(error.message, /absent/);
  });
});

describe('loadSchemas from descriptor sets', () => {
  it('loads protoc descriptor sets, each file once although both sets include it', async () => {
    const registry = await loadFromDescriptorSets();
    assert.deepEqual(registry.files.map((file) => file.name).sort(), FIXTURE_FILES);
    assert.deepEqual(registry.findMethod('/grpctap.fixtures.v1.ProfileService/GetProfile'), {
      requestType: 'grpctap.fixtures.v1.GetProfileRequest',
      responseType: 'grpctap.fixtures.v1.Profile',
    });
  });

  it('rejects a file that is not a FileDescriptorSet', async () => {
    const file = path.join(scratch, 'not-a-set.binpb');
    writeFileSync(file, Uint8Array.of(0x0a, 0x05, 0x01));
    const error = await rejection(
      loadSchemas({ protoFiles: [], protoPaths: [], descriptorSets: [file] }),
    );
    assert.match(error.message, /not a FileDescriptorSet/);
  });

  it('rejects a set built without --include_imports, naming the missing type', async () => {
    const full = fromBinary(FileDescriptorSetSchema, readFileSync(SHOP_SET));
    const partial = create(FileDescriptorSetSchema, {
      file: full.file.filter((file) => file.name !== 'common/money.proto'),
    });
    const file = path.join(scratch, 'partial.binpb');
    writeFileSync(file, toBinary(FileDescriptorSetSchema, partial));
    const error = await rejection(
      loadSchemas({ protoFiles: [], protoPaths: [], descriptorSets: [file] }),
    );
    assert.match(error.message, /shop\.proto: .*type \.common\.Money not found/);
  });
});
