import type { SqlValue } from '../store/sql-connection.js';
import type { SqlDialect } from '../store/store-schema.js';
import type { Comparison, FilterNode } from './filter-ast.js';

/** A WHERE clause over `flows` (aliased `f`) and its parameters, in `?` form. */
export interface CompiledFilter {
  readonly where: string;
  readonly params: readonly SqlValue[];
}

const COLUMNS: Readonly<Record<string, string>> = {
  service: 'f.service',
  method: 'f.method',
  path: 'f.path',
  authority: 'f.authority',
  state: 'f.state',
  type: 'f.flow_type',
  protocol: 'f.protocol',
  origin: 'f.origin',
  status: 'f.status',
  duration: 'f.duration_ms',
  size: '(f.request_bytes + f.response_bytes)',
  messages: '(f.request_messages + f.response_messages)',
  time: 'f.started_at',
};

/**
 * Compiles a filter to SQL for the store, agreeing with `evaluateFilter` on every stored flow:
 * each comparison is written so that a missing value makes it false, never NULL, so `not`
 * and `!=` behave as in the predicate. Regular expressions run in JavaScript on SQLite
 * (`grpctap_regexp`) and as PostgreSQL's `~` (POSIX; the common syntax is the same).
 */
export function compileFilterSql(node: FilterNode, dialect: SqlDialect): CompiledFilter {
  const params: SqlValue[] = [];
  const regex = (column: string, pattern: string): string => {
    params.push(pattern);
    return dialect === 'sqlite' ? `grpctap_regexp(?, ${column})` : `${column} ~ ?`;
  };
  const textTest = (column: string, comparison: Comparison & { kind: 'text' }): string => {
    if (comparison.op === '~' || comparison.op === '!~') {
      return `(${column} IS NOT NULL AND ${regex(column, comparison.value)})`;
    }
    params.push(comparison.value);
    if (comparison.field === 'msg') {
      return dialect === 'sqlite'
        ? `(${column} IS NOT NULL AND instr(${column}, ?) > 0)`
        : `(${column} IS NOT NULL AND strpos(${column}, ?) > 0)`;
    }
    return `(${column} IS NOT NULL AND ${column} = ?)`;
  };
  const positive = (comparison: Comparison): string => {
    if (comparison.kind === 'number') {
      params.push(comparison.value);
      const column = COLUMNS[comparison.field] as string;
      const op = comparison.op === '!=' ? '=' : comparison.op;
      return `(${column} IS NOT NULL AND ${column} ${op} ?)`;
    }
    switch (comparison.field) {
      case 'header': {
        params.push(comparison.header);
        const test = textTest('h.value', comparison);
        return `EXISTS (SELECT 1 FROM flow_headers h WHERE h.flow_id = f.id AND h.name = ? AND ${test})`;
      }
      case 'msg': {
        // SQLite makes a plain schemaless view again (the store keeps none); PostgreSQL keeps
        // every view (docs/store.md).
        const text =
          dialect === 'sqlite'
            ? 'COALESCE(e.view, e.text, grpctap_message_text(e.payload, f.content_type))'
            : 'COALESCE(e.view, e.text)';
        const test = textTest(text, comparison);
        return `EXISTS (SELECT 1 FROM events e WHERE e.flow_id = f.id AND e.kind IN ('data', 'body') AND ${test})`;
      }
      case 'client': {
        const full =
          dialect === 'sqlite'
            ? "(f.client_address || ':' || COALESCE(f.client_port, ''))"
            : "(f.client_address || ':' || COALESCE(CAST(f.client_port AS TEXT), ''))";
        if (comparison.op === '~' || comparison.op === '!~') return textTest(full, comparison);
        const address = textTest('f.client_address', comparison);
        return `(${address} OR ${textTest(full, comparison)})`;
      }
      default:
        return textTest(COLUMNS[comparison.field] as string, comparison);
    }
  };
  const visit = (current: FilterNode): string => {
    switch (current.kind) {
      case 'all':
        return '1 = 1';
      case 'and':
        return `(${visit(current.left)} AND ${visit(current.right)})`;
      case 'or':
        return `(${visit(current.left)} OR ${visit(current.right)})`;
      case 'not':
        return `(NOT ${visit(current.operand)})`;
      case 'compare': {
        const { comparison } = current;
        const test = positive(comparison);
        return comparison.op === '!=' || comparison.op === '!~' ? `(NOT ${test})` : test;
      }
    }
  };
  const where = visit(node);
  return { where, params };
}
