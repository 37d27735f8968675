/**
 * Building big JSON lines as bytes without copying their long strings more than once.
 *
 * V8 checks every character of a string `JSON.stringify` writes (about 15 µs for 16 KiB of text on
 * this project's machines), and writing a rope of joined strings first copies it flat. The long
 * strings of a record are base64 (never escaped) and the texts of the schemaless view, which the
 * view already had to read to know they are printable and can say at no extra cost which of them
 * need no escaping (`plainStrings` in `src/schema/decode-schemaless.ts`). Those are kept as
 * separate parts here and copied byte for byte into the line.
 */

/** Plain strings shorter than this are joined to the surrounding text. */
const SEPARATE_PART_CHARS = 256;

/** A line under construction: JSON text (UTF-8) and plain ASCII parts, in order. */
export class LineBuilder {
  private readonly parts: string[] = [];
  private readonly ascii: boolean[] = [];
  private text = '';

  /** Appends JSON text (any characters; written as UTF-8). */
  addText(text: string): void {
    this.text += text;
  }

  /**
   * Appends a string of printable ASCII (plain text or base64), copied as it is: no character of
   * it is looked at, so it must be ASCII and must need no escaping where it goes.
   */
  addAscii(text: string): void {
    if (text.length < SEPARATE_PART_CHARS) {
      this.text += text;
      return;
    }
    this.parts.push(this.text, text);
    this.ascii.push(false, true);
    this.text = '';
  }

  /** The line as bytes; the builder is not used afterwards. */
  finish(): Buffer {
    this.parts.push(this.text);
    this.ascii.push(false);
    let length = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as string;
      length += this.ascii[i] ? part.length : Buffer.byteLength(part, 'utf8');
    }
    const line = Buffer.allocUnsafe(length);
    let offset = 0;
    for (let i = 0; i < this.parts.length; i++) {
      offset += line.write(this.parts[i] as string, offset, this.ascii[i] ? 'latin1' : 'utf8');
    }
    return line;
  }
}

/**
 * Appends `prefix` and `JSON.stringify(value)` for JSON data (objects, arrays, strings, numbers,
 * booleans, null), the strings in `plain` copied as they are. Appends nothing and returns false
 * when `JSON.stringify` would return undefined (a key is then left out), so `prefix` can be the
 * `"key":` of an object member.
 *
 * A string is looked up in `plain` by value, so `plain` should stay short (the long strings of one
 * message), and every string in it must be printable ASCII without `"` or `\`. Anything that is
 * not plain data (a `toJSON` method, a Map, a boxed primitive) is left to `JSON.stringify`, so the
 * bytes are always those of `JSON.stringify(value)`.
 */
export function appendJson(
  line: LineBuilder,
  prefix: string,
  value: unknown,
  plain: readonly string[],
): boolean {
  if (typeof value === 'string' && plain.includes(value)) {
    line.addText(`${prefix}"`);
    line.addAscii(value);
    line.addText('"');
    return true;
  }
  if (plain.length === 0 || !isWalkable(value)) {
    const json = JSON.stringify(value);
    if (json === undefined) return false;
    line.addText(`${prefix}${json}`);
    return true;
  }
  if (Array.isArray(value)) {
    line.addText(`${prefix}[`);
    for (let i = 0; i < value.length; i++) {
      const separator = i > 0 ? ',' : '';
      // JSON.stringify writes null for what it cannot write in an array.
      if (!appendJson(line, separator, value[i], plain)) line.addText(`${separator}null`);
    }
    line.addText(']');
    return true;
  }
  line.addText(`${prefix}{`);
  let separator = '';
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    // JSON.stringify leaves out a key whose value it cannot write (undefined, a function, a
    // toJSON that returns undefined).
    if (appendJson(line, `${separator}${JSON.stringify(key)}:`, item, plain)) separator = ',';
  }
  line.addText('}');
  return true;
}

/** An array or a plain object without `toJSON`: walked here; anything else goes to JSON.stringify. */
function isWalkable(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || 'toJSON' in value) return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
