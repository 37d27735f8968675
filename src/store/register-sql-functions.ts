import type Database from 'better-sqlite3';
import { matchesPattern } from '../filter/match-pattern.js';
import { deriveViewText } from './derived-view.js';

/**
 * The SQL functions compiled filters call on SQLite: `grpctap_regexp(pattern, value)`, and
 * `grpctap_message_text(payload, content_type)`, the text `msg` searches in a protobuf message
 * stored without a view (its schemaless view, made again).
 */
export function registerSqlFunctions(db: Database.Database): void {
  // SQLite hands over TEXT as strings; a BLOB or number never reaches it from compiled filters.
  db.function('grpctap_regexp', { deterministic: true }, (pattern: unknown, value: unknown) =>
    typeof pattern === 'string' && typeof value === 'string' && matchesPattern(pattern, value)
      ? 1
      : 0,
  );
  db.function('grpctap_message_text', { deterministic: true }, (payload: unknown, type: unknown) =>
    payload instanceof Uint8Array && typeof type === 'string'
      ? deriveViewText(payload, type)
      : null,
  );
}
