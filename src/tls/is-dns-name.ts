const LABEL_PATTERN = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Longest DNS name in text form, without the trailing dot (RFC 1035 §2.3.4). */
export const MAX_DNS_NAME_LENGTH = 253;

/**
 * Tells whether `name` is a DNS host name we are willing to put in a certificate or dial:
 * dot-separated labels of 1..63 letters, digits, `-` and `_`, not starting or ending with `-`,
 * at most 253 characters, no trailing dot. Underscores are tolerated because internal service
 * names use them. Internationalised names must already be in A-label (`xn--`) form, which is what
 * SNI and CONNECT carry.
 */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DNS_NAME_LENGTH) {
    return false;
  }
  return name.split('.').every((label) => LABEL_PATTERN.test(label));
}
