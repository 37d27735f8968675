/**
 * Connection-specific header fields (RFC 9110 §7.6.1): they describe one hop and are removed before
 * a message is forwarded, together with every field the `Connection` header names. The
 * `Proxy-*` credentials are addressed to this proxy, so they stop here too.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Fields a `Connection` option can never remove: dropping them would change how the body is framed
 * or where the request goes, which is how request smuggling starts.
 */
const NEVER_NAMED_AWAY = new Set(['content-length', 'host', 'transfer-encoding']);

/** Fields addressed to this proxy that an upgrade request still must not carry upstream. */
const PROXY_ONLY = new Set(['proxy-connection', 'proxy-authorization']);

export interface HopByHopOptions {
  /**
   * The message opens a tunnel (RFC 9110 §7.8): keep `Connection`, `Upgrade` and every field they
   * name (such as `HTTP2-Settings`), because the bytes after the head are relayed raw and the
   * upstream needs the complete connection semantics. Only the `Proxy-*` fields are removed.
   */
  readonly upgrade?: boolean;
  /**
   * Keep `Transfer-Encoding` as received. Requests need it: Node's parser removes the chunked
   * framing on the way in, and Node's client only re-applies it to a GET or DELETE body when the
   * header says so. Responses leave it out and let Node frame the body for the client's version.
   */
  readonly keepTransferEncoding?: boolean;
}

/**
 * Removes hop-by-hop fields from a flat raw header array (`[name, value, name, value, ...]`, as in
 * Node's `rawHeaders`), keeping the order and case of everything else. `TE` survives only as
 * `trailers` (the one value that means something end to end, since trailers are relayed).
 */
export function removeHopByHopHeaders(
  raw: readonly string[],
  options: HopByHopOptions = {},
): string[] {
  const named = options.upgrade === true ? new Set<string>() : readConnectionOptions(raw);
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (options.upgrade === true) {
      if (!PROXY_ONLY.has(lower)) kept.push(name, value);
      continue;
    }
    if (lower === 'transfer-encoding' && options.keepTransferEncoding === true) {
      kept.push(name, value);
      continue;
    }
    if (lower === 'te' && listsToken(value, 'trailers')) {
      kept.push(name, 'trailers');
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    if (named.has(lower) && !NEVER_NAMED_AWAY.has(lower)) continue;
    kept.push(name, value);
  }
  return kept;
}

/**
 * Sets the `Host` field to `host`: the value of the first `Host` is replaced in place (name case
 * kept), further ones dropped; without one, `Host` is added first. A proxy that receives an
 * absolute-form target must do this (RFC 9112 §3.2.2).
 */
export function replaceHost(raw: readonly string[], host: string): string[] {
  const result: string[] = [];
  let found = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.toLowerCase() === 'host') {
      if (!found) result.push(name, host);
      found = true;
      continue;
    }
    result.push(name, raw[i + 1] as string);
  }
  return found ? result : ['Host', host, ...result];
}

/** The first value of `name` (case-insensitive) in a flat raw header array. */
export function findRawHeader(raw: readonly string[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === lower) return raw[i + 1];
  }
  return undefined;
}

/** Every value of `name` (case-insensitive) in a flat raw header array, in order. */
export function findRawHeaders(raw: readonly string[], name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === lower) values.push(raw[i + 1] as string);
  }
  return values;
}

/** Turns a flat raw array into the `[name, value]` pairs `addTrailers` takes. */
export function pairRawHeaders(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

function readConnectionOptions(raw: readonly string[]): Set<string> {
  const options = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== 'connection') continue;
    for (const token of (raw[i + 1] as string).split(',')) {
      const option = token.trim().toLowerCase();
      if (option !== '') options.add(option);
    }
  }
  return options;
}

/** True when a comma-separated list contains `token`, ignoring parameters (`trailers;q=1`). */
function listsToken(value: string, token: string): boolean {
  return value
    .split(',')
    .some((item) => (item.split(';')[0] as string).trim().toLowerCase() === token);
}
