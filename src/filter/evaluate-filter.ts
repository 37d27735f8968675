import { matchesPattern } from './match-pattern.js';
import { searchableHeaderValue } from './message-search-text.js';
import type { Comparison, FilterNode } from './filter-ast.js';
import type { FlowFacts } from './flow-facts.js';

/** true, false, or null: not known yet (the flow is still running). */
export type Truth = boolean | null;

/**
 * Evaluates a filter on one flow. A comparison with a value the flow does not have (no status
 * yet, no such header) is false, and `!=` / `!~` are exactly `not (=)` / `not (~)`: the store's
 * SQL gives the same answers (`compileFilterSql`). On a running flow, comparisons of facts that
 * may still change are null unless already true, and `and`/`or`/`not` follow three-valued logic.
 */
export function evaluateFilter(node: FilterNode, facts: FlowFacts): Truth {
  switch (node.kind) {
    case 'all':
      return true;
    case 'and': {
      const left = evaluateFilter(node.left, facts);
      if (left === false) return false;
      const right = evaluateFilter(node.right, facts);
      return right === false ? false : left === true && right === true ? true : null;
    }
    case 'or': {
      const left = evaluateFilter(node.left, facts);
      if (left === true) return true;
      const right = evaluateFilter(node.right, facts);
      return right === true ? true : left === false && right === false ? false : null;
    }
    case 'not': {
      const operand = evaluateFilter(node.operand, facts);
      return operand === null ? null : !operand;
    }
    case 'compare':
      return compare(node.comparison, facts);
  }
}

function negate(op: string): boolean {
  return op === '!=' || op === '!~';
}

function compare(comparison: Comparison, facts: FlowFacts): Truth {
  if (comparison.kind === 'number') {
    const value = numberOf(comparison.field, facts);
    if (value === undefined) return null;
    const truth = value !== null && compareNumbers(comparison.op, value, comparison.value);
    return comparison.op === '!=' ? !(value !== null && value === comparison.value) : truth;
  }
  const { op, value: wanted } = comparison;
  const test = (candidate: string | null): boolean =>
    candidate !== null &&
    (op === '=' || op === '!='
      ? comparison.field === 'msg'
        ? candidate.includes(wanted)
        : candidate === wanted
      : matchesPattern(wanted, candidate));
  let found: boolean;
  let settled = facts.final;
  switch (comparison.field) {
    case 'header': {
      found = facts.headers.some(
        ([name, value]) =>
          name.toLowerCase() === comparison.header && test(searchableHeaderValue(value)),
      );
      break;
    }
    case 'msg':
      found = facts.messageTexts.some(test);
      break;
    case 'client': {
      const { clientAddress, clientPort } = facts;
      const full = clientAddress === null ? null : `${clientAddress}:${clientPort ?? ''}`;
      found = op === '=' || op === '!=' ? test(clientAddress) || test(full) : test(full);
      settled = true;
      break;
    }
    case 'state':
    case 'type':
      found = test(comparison.field === 'state' ? facts.state : facts.flowType);
      break;
    default:
      found = test(facts[comparison.field]);
      settled = true;
  }
  // A match found on a running flow stays found; no match yet may still become one.
  if (!settled) return found ? !negate(op) : null;
  return negate(op) ? !found : found;
}

function compareNumbers(op: string, left: number, right: number): boolean {
  switch (op) {
    case '=':
      return left === right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    default:
      return left !== right;
  }
}

/** A numeric fact; undefined while it may still change. */
function numberOf(field: Comparison['field'], facts: FlowFacts): number | null | undefined {
  switch (field) {
    case 'time':
      return facts.time;
    case 'status':
      return facts.final ? facts.status : undefined;
    case 'duration':
      return facts.final ? facts.durationMs : undefined;
    case 'size':
      return facts.final ? facts.size : undefined;
    case 'messages':
      return facts.final ? facts.messages : undefined;
    default:
      return null;
  }
}
