/**
 * Normalises a host name or IP literal into the key that certificates and caches use: lower case,
 * without IPv6 brackets, without the trailing dot of a fully qualified name (`Example.COM.` and
 * `example.com` must share one certificate; RFC 6066 §3 forbids the dot in SNI anyway).
 */
export function normalizeHost(host: string): string {
  let normalized = host.toLowerCase();
  if (normalized.startsWith('[') && normalized.endsWith(']')) {
    normalized = normalized.slice(1, -1);
  }
  if (normalized.endsWith('.')) {
    normalized = normalized.slice(0, -1);
  }
  return normalized;
}
