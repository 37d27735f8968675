/**
 * Validation of records against `docs/record.schema.json`, the published record schema. Shared by
 * unit and end-to-end tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const SCHEMA_PATH = join('docs', 'record.schema.json');

/**
 * Reads a file of the repository by its path from the root (e.g. `docs/records.md`), wherever the
 * compiled tests run from: the root is the nearest ancestor of this file that holds the schema.
 */
export function readRepositoryFile(path: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, SCHEMA_PATH))) return readFileSync(join(dir, path), 'utf8');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${SCHEMA_PATH} not found above ${import.meta.url}`);
    dir = parent;
  }
}

let validate: ValidateFunction | null = null;

function compileSchema(): ValidateFunction {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  // ajv-formats is CommonJS with a `default` export; under NodeNext the default import is the
  // module object, which at runtime is the plugin function itself.
  const addFormats =
    (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
    addFormatsModule;
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return ajv.compile(JSON.parse(readRepositoryFile(SCHEMA_PATH)));
}

/** Throws an AssertionError-like Error listing every schema violation of `record`. */
export function assertValidRecord(record: unknown): void {
  validate ??= compileSchema();
  if (validate(record)) return;
  const problems = (validate.errors ?? [])
    .map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`)
    .join('; ');
  throw new Error(
    `record does not match docs/record.schema.json: ${problems}\n${JSON.stringify(record)}`,
  );
}
