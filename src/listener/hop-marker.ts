/**
 * This process's entry in `Via` (RFC 9110 §7.6.3): `1.1 grpctap-<random>`, a pseudonym instead of
 * a host name, so that a request that comes back through another proxy is recognised as one this
 * process already forwarded. Only the HTTP/1.1 forwarder adds it; HTTP/2 traffic is relayed
 * without added headers, and loops there are found by address (see `detect-forwarding-loop.ts`).
 */
export interface HopMarker {
  /** `grpctap-` and 12 hex digits (48 random bits), unique per process. */
  readonly pseudonym: string;
  /** The `Via` entry this process appends: `1.1 <pseudonym>`. */
  readonly viaEntry: string;
  /** Whether any of these `Via` field values lists this process's pseudonym. */
  isCarriedBy(viaValues: readonly string[]): boolean;
}

/** Creates the marker from 6 random bytes (`crypto.randomBytes(6)` in production). */
export function createHopMarker(random: Uint8Array): HopMarker {
  const pseudonym = `grpctap-${Buffer.from(random).toString('hex')}`;
  return {
    pseudonym,
    viaEntry: `1.1 ${pseudonym}`,
    isCarriedBy(viaValues) {
      // Via = #( received-protocol RWS received-by [ RWS comment ] ); received-by is the second
      // token of an entry. A pseudonym inside a comment is not an entry of ours.
      for (const value of viaValues) {
        for (const entry of value.split(',')) {
          const receivedBy = entry.trim().split(/[ \t]+/)[1];
          if (receivedBy !== undefined && receivedBy.toLowerCase() === pseudonym) return true;
        }
      }
      return false;
    },
  };
}
