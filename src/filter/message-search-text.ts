const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text the filter's `msg` field searches in one message: its decoded view as stored (JSON),
 * else the payload when it is valid UTF-8 (JSON codecs, text bodies), else nothing. The store
 * keeps it per message (`events.text`, or `view` itself) and the live tail computes it here too,
 * so `msg` matches the same messages in both.
 */
export function messageSearchText(view: string | null, payload: Uint8Array | null): string | null {
  if (view !== null) return view;
  if (payload === null || payload.byteLength === 0) return null;
  try {
    const text = utf8.decode(payload);
    // PostgreSQL's text cannot hold NUL; such a payload is binary in all but name.
    return text.includes('\0') ? null : text;
  } catch {
    return null;
  }
}

/** A header value as `h.NAME` compares it: NUL (which PostgreSQL's text cannot hold) as U+FFFD. */
export function searchableHeaderValue(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}
