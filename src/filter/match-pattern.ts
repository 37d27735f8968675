import { LRUCache } from 'lru-cache';

const patterns = new LRUCache<string, RegExp>({ max: 256 });

/**
 * `pattern` tested against `value` with JavaScript's regular expressions, the same engine the
 * live tail's filter uses; a NULL value never matches. Patterns were checked when the filter was
 * parsed, so a bad one here is a bug.
 */
export function matchesPattern(pattern: string, value: string | null): boolean {
  if (value === null) return false;
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern, 'u');
    patterns.set(pattern, regex);
  }
  return regex.test(value);
}
