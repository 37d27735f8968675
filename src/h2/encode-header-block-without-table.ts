import type { HeaderList } from '../http2/channel-event.js';
import type { FieldRepresentation } from './create-hpack-decoder.js';
import {
  BlockWriter,
  DEFAULT_SENSITIVE_NAMES,
  type FieldEncodingOptions,
  isSensitive,
  staticFieldIndex,
  staticNameIndex,
} from './hpack-block-writer.js';

export interface StatelessEncodingOptions extends FieldEncodingOptions {
  /** Per-field representations from the decoder; `neverIndexed` ones stay never-indexed. */
  readonly representations?: readonly FieldRepresentation[];
}

/**
 * An HPACK block that neither reads nor changes the receiver's dynamic table (RFC 7541 §6): exact
 * static-table matches as indexed fields, everything else as literals without indexing (or never
 * indexed, for sensitive fields) with a static name index where there is one, and no dynamic table
 * size update. It decodes the same whatever the receiver's table holds, so the proxy can inject a
 * response into a connection whose HPACK state belongs to the two peers without desynchronising
 * them.
 *
 * One case needs care: after the receiver lowered SETTINGS_HEADER_TABLE_SIZE, its decoder may
 * require a size update at the start of the next block (§4.2); a block injected before the sender's
 * own next block then fails. A caller in that window can send nothing, or accept the risk.
 */
export function encodeHeaderBlockWithoutTable(
  headers: HeaderList,
  options: StatelessEncodingOptions = {},
): Buffer {
  const sensitiveNames = options.sensitiveNames ?? DEFAULT_SENSITIVE_NAMES;
  const writer = new BlockWriter(BlockWriter.estimate(headers), options.huffman ?? 'shorter');
  headers.forEach(([name, value], index) => {
    if (isSensitive(name, index, sensitiveNames, options.representations)) {
      writer.literal(0x10, 4, staticNameIndex(name), name, value);
      return;
    }
    const exact = staticFieldIndex(name, value);
    if (exact !== 0) writer.integer(exact, 7, 0x80);
    else writer.literal(0x00, 4, staticNameIndex(name), name, value);
  });
  return writer.finish();
}
