const IPV4_PATTERN = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const HEX_GROUP_PATTERN = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses an IP address literal into its network-order bytes: 4 for IPv4, 16 for IPv6.
 *
 * Accepts dotted-quad IPv4 without leading zeros (`010.0.0.1` is rejected because some resolvers
 * read it as octal) and RFC 4291 §2.2 IPv6 text, including `::` compression and a trailing
 * dotted-quad (`::ffff:192.0.2.1`). Brackets, zone identifiers (`%eth0`) and surrounding spaces
 * are not accepted: callers strip brackets first.
 *
 * @returns the address bytes, or `null` when `text` is not an IP literal.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  if (text.includes(':')) {
    return parseIpv6(text);
  }
  return parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const match = IPV4_PATTERN.exec(text);
  if (match === null) {
    return null;
  }
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index++) {
    const octet = Number(match[index + 1]);
    if (octet > 255) {
      return null;
    }
    bytes[index] = octet;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) {
    return null;
  }
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === null || tail === null) {
    return null;
  }
  const explicit = head.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) {
    return null;
  }
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** Parses colon-separated 16-bit groups; only the final part may hold an embedded IPv4 address. */
function parseGroups(part: string, mayEndWithIpv4: boolean): number[] | null {
  if (part === '') {
    return [];
  }
  const pieces = part.split(':');
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (index === pieces.length - 1 && mayEndWithIpv4 && piece.includes('.')) {
      const ipv4 = parseIpv4(piece);
      if (ipv4 === null) {
        return null;
      }
      groups.push(((ipv4[0] ?? 0) << 8) | (ipv4[1] ?? 0), ((ipv4[2] ?? 0) << 8) | (ipv4[3] ?? 0));
    } else if (HEX_GROUP_PATTERN.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
    } else {
      return null;
    }
  }
  return groups;
}
