/**
 * `JSON.stringify(value)` for JSON data (objects, arrays, strings, numbers, booleans, null), except
 * that the strings in `plain`, which the caller knows need no escaping, are copied as they are.
 *
 * V8 checks every character of a string it writes (about 15 µs for 16 KiB of text on this project's
 * machines); the schemaless view already had to read the same bytes to know they are printable
 * text, and can say which strings are plain at no extra cost (`plainStrings` in
 * `src/schema/decode-schemaless.ts`). A string is looked up by identity, so `plain` should stay
 * short: the long strings of one message.
 *
 * Anything that is not plain data (a `toJSON` method, a Map, a boxed primitive) is left to
 * `JSON.stringify`, so the result is always what `JSON.stringify` would give, provided every string
 * in `plain` is free of `"`, `\`, control characters and lone surrogates.
 */
export function stringifyJson(value: unknown, plain: readonly string[]): string | undefined {
  if (plain.length === 0) return JSON.stringify(value);
  return write(value, plain);
}

function write(value: unknown, plain: readonly string[]): string | undefined {
  if (typeof value === 'string') {
    return plain.includes(value) ? `"${value}"` : JSON.stringify(value);
  }
  if (typeof value !== 'object' || value === null || 'toJSON' in value) {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      text += `${i === 0 ? '' : ','}${write(value[i], plain) ?? 'null'}`;
    }
    return `${text}]`;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return JSON.stringify(value);
  let text = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const json = write((value as Record<string, unknown>)[key], plain);
    if (json === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:${json}`;
    first = false;
  }
  return `${text}}`;
}
