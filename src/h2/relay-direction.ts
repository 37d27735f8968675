import { createFrameParser, type FrameParser } from './create-frame-parser.js';
import {
  createHeaderBlockAssembler,
  type HeaderBlockAssembler,
  type HeaderBlockLimits,
} from './create-header-block-assembler.js';
import { createHpackDecoder, type HpackDecoder } from './create-hpack-decoder.js';
import { createHpackEncoder, type HpackEncoder } from './create-hpack-encoder.js';
import { decodeSettings } from './decode-frame.js';
import type { Frame } from './frame.js';
import { DEFAULT_HEADER_TABLE_SIZE, DEFAULT_MAX_FRAME_SIZE, SettingId } from './frame-constants.js';
import type { Peer } from './relay-stream.js';

/** What the relay does with a frame's bytes: pass them on, drop them, or send its own block. */
export type FrameAction = 'forward' | 'drop' | 'reencode';

/** SETTINGS values a sender announced that matter to the relay, until its peer acknowledges. */
export interface AnnouncedSettings {
  readonly headerTableSize: number | null;
  readonly maxFrameSize: number | null;
}

/**
 * The relay's state for the bytes one peer sends: its parser, header block assembler and HPACK
 * decoder (whose limits follow the receiving peer's SETTINGS), the frame in progress across
 * chunks, and the proxy's own HPACK encoder once this direction is re-encoded (sticky).
 */
export class RelayDirection {
  readonly parser: FrameParser;
  readonly assembler: HeaderBlockAssembler;
  readonly decoder: HpackDecoder;
  /** Non-null once this direction's header blocks are re-encoded by the proxy. */
  encoder: HpackEncoder | null = null;
  /** Up to 8 bytes of an incomplete frame header, not forwarded yet, and where they start. */
  heldHead: Uint8Array | null = null;
  /** The decision for the frame whose bytes are partly handled, keyed by its stream offset. */
  partial: { readonly offset: number; readonly action: FrameAction } | null = null;
  /** The decision for the open header block's CONTINUATION frames. */
  blockAction: FrameAction = 'forward';
  /** This sender's SETTINGS not yet acknowledged by the receiver, oldest first. */
  readonly unacknowledged: AnnouncedSettings[] = [];
  /** The receiver's acknowledged SETTINGS_HEADER_TABLE_SIZE: what a re-encoder may use. */
  receiverTableSize = DEFAULT_HEADER_TABLE_SIZE;
  /** The receiver's acknowledged SETTINGS_MAX_FRAME_SIZE: the bound on frames the proxy sends. */
  receiverMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;

  constructor(
    readonly sender: Peer,
    limits: HeaderBlockLimits,
    maxHeaderListBytes: number,
  ) {
    this.parser = createFrameParser({ sender: sender === 'client' ? 'client' : 'server' });
    this.assembler = createHeaderBlockAssembler(limits);
    this.decoder = createHpackDecoder({ maxHeaderListBytes });
  }

  /**
   * Switches this direction to the proxy's encoder for the rest of the connection; its first
   * block empties the receiver's table (RFC 7541 §4.2) so the proxy owns it from then on.
   */
  startReencoding(): void {
    this.encoder ??= createHpackEncoder({
      tableSizeLimit: this.receiverTableSize,
      clearReceiverTable: true,
    });
  }

  /** Applies the receiver's SETTINGS once this sender acknowledged them (RFC 9113 §6.5.3). */
  applyAcknowledged(settings: AnnouncedSettings): void {
    if (settings.headerTableSize !== null) {
      this.receiverTableSize = settings.headerTableSize;
      this.decoder.setTableSizeLimit(settings.headerTableSize);
      this.encoder?.setTableSizeLimit(settings.headerTableSize);
    }
    if (settings.maxFrameSize !== null) {
      this.receiverMaxFrameSize = settings.maxFrameSize;
      this.parser.setMaxFrameSize(settings.maxFrameSize);
    }
  }

  /** Applies the receiver's SETTINGS as they pass, before the ACK: the larger bounds hold. */
  applyAnnounced(settings: AnnouncedSettings): void {
    if (settings.headerTableSize !== null) {
      const limit = Math.max(this.decoder.tableSizeLimit, settings.headerTableSize);
      this.decoder.setTableSizeLimit(limit);
    }
    if (settings.maxFrameSize !== null) {
      this.parser.setMaxFrameSize(Math.max(this.parser.maxFrameSize, settings.maxFrameSize));
    }
  }

  /**
   * A SETTINGS frame this sender sent (RFC 9113 §6.5.3): an ACK puts the receiver's oldest
   * announced SETTINGS in force for this direction; new values bound the receiver's direction at
   * once by the larger of old and new, and exactly once this sender's peer acknowledges them.
   */
  followSettings(frame: Frame, receiver: RelayDirection): void {
    const { ack, settings } = decodeSettings(frame);
    if (ack) {
      const acknowledged = receiver.unacknowledged.shift();
      if (acknowledged !== undefined) this.applyAcknowledged(acknowledged);
      return;
    }
    let headerTableSize: number | null = null;
    let maxFrameSize: number | null = null;
    for (const { id, value } of settings) {
      if (id === SettingId.HEADER_TABLE_SIZE) headerTableSize = value;
      else if (id === SettingId.MAX_FRAME_SIZE) maxFrameSize = value;
    }
    const announced: AnnouncedSettings = { headerTableSize, maxFrameSize };
    this.unacknowledged.push(announced);
    receiver.applyAnnounced(announced);
  }
}
