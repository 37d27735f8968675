/**
 * One-line previews of decoded messages for the text tail, e.g. `{1: "hello", 2: 7, 3: {1: 1.5}}`.
 * Output stops growing once it passes the limit, so huge messages cost only the shown part.
 */
import { base64Decode } from '@bufbuild/protobuf/wire';

const ELLIPSIS = '…';
/** Bytes shown in full; longer values show this many then their length. */
const SHOWN_BYTES = 8;

class PreviewWriter {
  private text = '';
  constructor(private readonly maxChars: number) {}

  get full(): boolean {
    return this.text.length > this.maxChars;
  }

  write(part: string): void {
    if (!this.full) this.text += part;
  }

  finish(): string {
    if (this.text.length <= this.maxChars) return this.text;
    return this.text.slice(0, Math.max(0, this.maxChars - 1)) + ELLIPSIS;
  }
}

/**
 * Formats a schemaless view (see `decodeSchemaless`) on one line of at most `maxChars` characters
 * (default 120), ending in `…` when cut. Varints show their signed reading when it is negative;
 * fixed-width values show their float reading when it looks like a float, else the integer.
 */
export function formatSchemalessPreview(value: unknown, maxChars = 120): string {
  const writer = new PreviewWriter(maxChars);
  writeSchemaless(writer, value);
  return writer.finish();
}

/**
 * Formats proto-JSON (a schema decoding) on one line of at most `maxChars` characters (default
 * 120). `_unknown` members are schemaless views and are formatted as such.
 */
export function formatJsonPreview(value: unknown, maxChars = 120): string {
  const writer = new PreviewWriter(maxChars);
  writeJson(writer, value);
  return writer.finish();
}

function writeSchemaless(writer: PreviewWriter, value: unknown): void {
  if (writer.full) return;
  if (Array.isArray(value)) {
    writeList(writer, value, writeSchemaless);
    return;
  }
  const leaf = formatSchemalessLeaf(value);
  if (leaf !== null) {
    writer.write(leaf);
    return;
  }
  const record = value as Record<string, unknown>;
  if ('group' in record) {
    writer.write('group ');
    writeSchemaless(writer, record.group);
    return;
  }
  writeObject(writer, record, (key, member) => {
    writer.write(`${key}: `);
    writeSchemaless(writer, member);
  });
}

/** The text of a value that is not a message, group or list; null for those. */
function formatSchemalessLeaf(value: unknown): string | null {
  if (typeof value === 'string') return formatString(value);
  if (typeof value !== 'object' || value === null) return String(value);
  const record = value as Record<string, unknown>;
  if ('varint' in record) return String(record.int64 ?? record.varint);
  if ('fixed32' in record) return formatFixed(record.float, record.fixed32);
  if ('fixed64' in record) return formatFixed(record.double, record.fixed64);
  if ('bytes' in record) return formatBytes(String(record.bytes));
  return null;
}

function writeJson(writer: PreviewWriter, value: unknown): void {
  if (writer.full) return;
  if (Array.isArray(value)) {
    writeList(writer, value, writeJson);
  } else if (typeof value === 'string') {
    writer.write(formatString(value));
  } else if (typeof value !== 'object' || value === null) {
    writer.write(String(value));
  } else {
    writeObject(writer, value as Record<string, unknown>, (key, member) => {
      writer.write(`${/^[\w@$.[\]-]+$/.test(key) ? key : JSON.stringify(key)}: `);
      if (key === '_unknown') writeSchemaless(writer, member);
      else writeJson(writer, member);
    });
  }
}

function formatString(value: string): string {
  // Cut before quoting so a megabyte string costs no more than a short one.
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}${ELLIPSIS}` : value);
}

function writeList(
  writer: PreviewWriter,
  values: readonly unknown[],
  writeItem: (writer: PreviewWriter, value: unknown) => void,
): void {
  writer.write('[');
  values.forEach((item, index) => {
    if (index > 0) writer.write(', ');
    writeItem(writer, item);
  });
  writer.write(']');
}

function writeObject(
  writer: PreviewWriter,
  record: Record<string, unknown>,
  writeMember: (key: string, value: unknown) => void,
): void {
  writer.write('{');
  let first = true;
  for (const [key, member] of Object.entries(record)) {
    if (writer.full) break;
    if (!first) writer.write(', ');
    first = false;
    writeMember(key, member);
  }
  writer.write('}');
}

function formatFixed(float: unknown, integer: unknown): string {
  if (typeof float === 'number') {
    const magnitude = Math.abs(float);
    if (float === 0 || (magnitude >= 1e-7 && magnitude < 1e15)) return String(float);
  }
  return String(integer);
}

function formatBytes(base64: string): string {
  // Four base64 characters carry three bytes, so a short prefix is enough to show the head.
  const head = base64Decode(base64.slice(0, 4 * Math.ceil((SHOWN_BYTES + 1) / 3)));
  const total = Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
  const hex = Array.from(head.subarray(0, SHOWN_BYTES), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  return total > SHOWN_BYTES ? `0x${hex}${ELLIPSIS}(${total} bytes)` : `0x${hex}`;
}
