/**
 * The flow store's tables (docs/store.md), written once for both backends: SQLite and PostgreSQL
 * differ only in column types and in how the event table numbers its rows.
 *
 * - `grpctap_meta`: `format` (always `grpctap-store`) and `schema_version`.
 * - `flows`: one row per gRPC call or plain HTTP exchange, its summary in indexed columns.
 * - `flow_headers`: every request header, response header and trailer of a flow, for `h.NAME`.
 * - `events`: what happened, in the order it was stored (`id`): a gRPC call's `start`, `data`,
 *   `end` and `flow` envelopes, a plain exchange's record and bodies, and the records that belong
 *   to no flow (`earlyResets`, `gap`).
 */

export type SqlDialect = 'sqlite' | 'postgres';

/** The value of `format` in `grpctap_meta`: what marks a database as a grpctap store. */
export const STORE_FORMAT = 'grpctap-store';

/** Bumped by every change to the tables; `migrateStore` brings older stores up to it. */
export const SCHEMA_VERSION = 1;

/** SQLite's `application_id` of a grpctap store ("gtap"), so `file(1)`-like tools can tell. */
export const SQLITE_APPLICATION_ID = 0x67746170;

interface ColumnTypes {
  readonly text: string;
  readonly integer: string;
  readonly real: string;
  readonly blob: string;
  readonly serial: string;
}

const TYPES: Readonly<Record<SqlDialect, ColumnTypes>> = {
  sqlite: {
    text: 'TEXT',
    integer: 'INTEGER',
    real: 'REAL',
    blob: 'BLOB',
    serial: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  },
  postgres: {
    text: 'TEXT',
    integer: 'BIGINT',
    real: 'DOUBLE PRECISION',
    blob: 'BYTEA',
    serial: 'BIGSERIAL PRIMARY KEY',
  },
};

/** The statements that create schema version 1 on an empty database, in order. */
export function createSchemaStatements(dialect: SqlDialect): string[] {
  const t = TYPES[dialect];
  return [
    `CREATE TABLE IF NOT EXISTS grpctap_meta (key ${t.text} PRIMARY KEY, value ${t.text} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS flows (
      id ${t.text} PRIMARY KEY,
      protocol ${t.text} NOT NULL,
      state ${t.text} NOT NULL,
      flow_type ${t.text},
      service ${t.text} NOT NULL,
      method ${t.text} NOT NULL,
      path ${t.text} NOT NULL,
      authority ${t.text} NOT NULL,
      http_method ${t.text},
      http_version ${t.text},
      content_type ${t.text},
      timeout ${t.text},
      status ${t.integer},
      status_name ${t.text},
      status_message ${t.text},
      started_at ${t.integer} NOT NULL,
      ended_at ${t.integer},
      duration_ms ${t.real},
      request_messages ${t.integer} NOT NULL DEFAULT 0,
      response_messages ${t.integer} NOT NULL DEFAULT 0,
      request_bytes ${t.integer} NOT NULL DEFAULT 0,
      response_bytes ${t.integer} NOT NULL DEFAULT 0,
      lost_events ${t.integer} NOT NULL DEFAULT 0,
      stored_bytes ${t.integer} NOT NULL DEFAULT 0,
      client_address ${t.text},
      client_port ${t.integer},
      origin ${t.text} NOT NULL,
      connection ${t.text},
      request_headers ${t.text},
      response_headers ${t.text},
      trailers ${t.text},
      error ${t.text}
    )`,
    'CREATE INDEX IF NOT EXISTS flows_started_at ON flows (started_at)',
    'CREATE INDEX IF NOT EXISTS flows_method_status ON flows (method, status)',
    'CREATE INDEX IF NOT EXISTS flows_service ON flows (service)',
    'CREATE INDEX IF NOT EXISTS flows_status ON flows (status)',
    `CREATE TABLE IF NOT EXISTS flow_headers (
      flow_id ${t.text} NOT NULL,
      part ${t.text} NOT NULL,
      name ${t.text} NOT NULL,
      value ${t.text} NOT NULL
    )`,
    'CREATE INDEX IF NOT EXISTS flow_headers_flow ON flow_headers (flow_id)',
    `CREATE TABLE IF NOT EXISTS events (
      id ${t.serial},
      flow_id ${t.text},
      kind ${t.text} NOT NULL,
      sequence ${t.integer},
      direction ${t.text},
      time ${t.integer} NOT NULL,
      line ${t.text},
      compressed ${t.integer},
      wire_length ${t.integer},
      length ${t.integer},
      payload ${t.blob},
      raw ${t.blob},
      anomalies ${t.text},
      view ${t.text},
      text ${t.text}
    )`,
    'CREATE INDEX IF NOT EXISTS events_flow ON events (flow_id, id)',
    // Only the records of no flow are pruned by time; flows' events go with their flow.
    'CREATE INDEX IF NOT EXISTS events_flowless_time ON events (time) WHERE flow_id IS NULL',
  ];
}

/**
 * The steps from each older schema version to the next, applied in order on open. Version 1 is
 * the first, so there are none yet; a change to the tables adds `[n]: statements` here and bumps
 * `SCHEMA_VERSION`.
 */
export const MIGRATIONS: Readonly<Record<number, (dialect: SqlDialect) => string[]>> = {};
