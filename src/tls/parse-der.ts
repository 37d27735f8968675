import forge from 'node-forge';

type DerParser = (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1;

/** node-forge's `asn1.fromDer` takes an options object its type definitions omit. */
const fromDer = forge.asn1.fromDer as unknown as DerParser;

/**
 * Parses one DER element (all of `der`) into node-forge ASN.1. BIT STRING values stay as their
 * raw contents, unused-bits octet first: node-forge would otherwise try to read them as nested
 * ASN.1, which an ECDSA point (`04 || X || Y`) can look like.
 *
 * @throws Error when `der` is not one complete DER element.
 */
export function parseDer(der: Uint8Array): forge.asn1.Asn1 {
  return fromDer(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('binary'), {
    decodeBitStrings: false,
  });
}
