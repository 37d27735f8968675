import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/open-sqlite-store.js';
import { SCHEMA_VERSION, SQLITE_APPLICATION_ID } from '../../src/store/store-schema.js';

describe('opening an SQLite store', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpctap-open-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('creates a new store marked as grpctap`s, in WAL mode, and opens it again', async () => {
    const path = join(dir, 'new.db');
    await (await openSqliteStore(path, true)).close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('application_id', { simple: true }), SQLITE_APPLICATION_ID);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.prepare('SELECT key, value FROM grpctap_meta ORDER BY key').all(), [
        { key: 'format', value: 'grpctap-store' },
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
      ]);
    } finally {
      db.close();
    }
    await (await openSqliteStore(path, true)).close();
    await (await openSqliteStore(path, false)).close();
  });

  test('refuses a store of a newer schema, and an older one it has no migration for', async () => {
    const path = join(dir, 'versions.db');
    await (await openSqliteStore(path, true)).close();
    const setVersion = (version: number): void => {
      const db = new Database(path);
      db.prepare("UPDATE grpctap_meta SET value = ? WHERE key = 'schema_version'").run(
        String(version),
      );
      db.close();
    };
    setVersion(SCHEMA_VERSION + 1);
    await assert.rejects(openSqliteStore(path, true), {
      name: 'StoreError',
      message: `${path} was written by a newer grpctap (store schema ${SCHEMA_VERSION + 1}; this one reads up to ${SCHEMA_VERSION})`,
    });
    setVersion(0);
    await assert.rejects(openSqliteStore(path, true), {
      name: 'StoreError',
      message: `${path}: no migration from store schema 0`,
    });
    await assert.rejects(openSqliteStore(path, false), {
      name: 'StoreError',
      message: `${path} has store schema 0; run grpctap with --store on it once to migrate it`,
    });
  });

  test('refuses an empty database for reading and a missing file', async () => {
    const path = join(dir, 'empty.db');
    new Database(path).close();
    await assert.rejects(openSqliteStore(path, false), {
      message: `${path} is an empty database, not a grpctap store`,
    });
    await assert.rejects(
      openSqliteStore(join(dir, 'missing.db'), false),
      /no store at .*missing\.db/,
    );
  });
});
