import type { OutgoingHttpHeaders } from 'node:http2';
import type { HeaderList, HeaderPair } from './channel-event.js';

/**
 * Header fields that describe one hop and never cross the proxy: those RFC 9113 §8.2.2 forbids in
 * HTTP/2 (`te` is allowed only as `te: trailers`), and `proxy-authorization`, which is for us.
 */
const CONNECTION_SPECIFIC = new Set([
  'proxy-authorization',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Turns Node's flat `rawHeaders` array (`[name, value, name, value, ...]`) into ordered pairs. */
export function toHeaderList(raw: readonly string[]): HeaderList {
  const list: HeaderPair[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    list.push([(raw[i] as string).toLowerCase(), raw[i + 1] as string]);
  }
  return list;
}

/**
 * Builds the header object Node's `request()` / `respond()` / `sendTrailers()` take. Node 20 has no
 * raw-array form, so repeated names are grouped into one array at the position of the first one;
 * the relative order of distinct names and of the values of one name is kept.
 */
export function toHeaderObject(
  list: HeaderList,
  skip?: (name: string) => boolean,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of list) {
    if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value !== 'trailers')) continue;
    if (skip?.(name)) continue;
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [String(existing), value];
  }
  return headers;
}

/** The first value of `name` in the list, or undefined. */
export function findHeader(list: HeaderList, name: string): string | undefined {
  for (const [key, value] of list) if (key === name) return value;
  return undefined;
}

/** Per-field overhead in the header list size of RFC 9113 §6.5.2 (SETTINGS_MAX_HEADER_LIST_SIZE). */
const FIELD_OVERHEAD_BYTES = 32;

/**
 * The size of a header list as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2): the
 * length in bytes of each name and value plus 32 per field. Values are Latin-1 as Node gives them
 * (one byte per character).
 */
export function measureHeaderList(list: HeaderList): number {
  let size = 0;
  for (const [name, value] of list) size += name.length + value.length + FIELD_OVERHEAD_BYTES;
  return size;
}
