/**
 * One human-readable line per envelope, for the `--output text` tail:
 *
 * ```text
 * 12:04:05.123 7f3a9c1e #0 → helloworld.Greeter/SayHello start authority=localhost:50051 timeout=9.89s
 * 12:04:05.125 7f3a9c1e #1 → helloworld.Greeter/SayHello data 7B helloworld.HelloRequest {"name":"world"}
 * 12:04:05.130 7f3a9c1e #3 ← helloworld.Greeter/SayHello end OK
 * 12:04:05.130 7f3a9c1e flow helloworld.Greeter/SayHello unary complete OK req=1 resp=1 7ms
 * ```
 */
import type {
  GrpcData,
  GrpcEnd,
  GrpcEnvelope,
  GrpcFlow,
  GrpcStart,
} from '../grpc/grpc-envelope.js';
import { getStatusName } from '../grpc/grpc-status.js';
import { assertNever } from '../http2/channel-event.js';
import { formatDuration, formatGrpcTimeout } from './format-duration.js';

export interface GrpcLineOptions {
  /** Use ANSI colours; the caller decides (TTY, `NO_COLOR`). */
  readonly color: boolean;
  /** Bytes of payload shown on data lines; default 32, 0 hides the preview. */
  readonly previewBytes?: number;
  /** Shown instead of the byte preview on data lines (e.g. the decoded message). */
  readonly decodedPreview?: string | undefined;
  /** The message type the preview was decoded as, shown before it (e.g. `grpc.testing.SimpleRequest`). */
  readonly typeName?: string | undefined;
  /**
   * `service/method` for data and end lines, whose envelopes do not carry it (the flow assembler
   * attaches it to every item). Start and flow lines use their own fields.
   */
  readonly call?: string | undefined;
}

/** Default number of payload bytes in a preview. */
export const DEFAULT_PREVIEW_BYTES = 32;

const FLOW_ID_LENGTH = 8;

type Paint = (code: string, text: string) => string;

const paintAnsi: Paint = (code, text) => `\x1b[${code}m${text}\x1b[0m`;
const paintNone: Paint = (_code, text) => text;

const DIM = '2';
const BOLD = '1';
const RED = '31';
const GREEN = '32';
const YELLOW = '33';
const MAGENTA = '35';
const CYAN = '36';

/** Printable ASCII as is, every other byte as `.`. */
function previewBytes(bytes: Uint8Array, limit: number): string {
  const shown = Math.min(bytes.length, limit);
  let text = '';
  for (let i = 0; i < shown; i++) {
    const byte = bytes[i] as number;
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
  }
  return `|${text}|${bytes.length > shown ? '…' : ''}`;
}

function callName(service: string, method: string, path: string): string {
  if (service !== '' || method !== '') return `${service}/${method}`;
  return path === '' ? '?' : path;
}

function formatStart(envelope: GrpcStart): string {
  const parts: string[] = [];
  if (envelope.direction === 'send') parts.push(`authority=${envelope.authority}`);
  else {
    const status = envelope.headers.find(([name]) => name === ':status')?.[1];
    if (status !== undefined) parts.push(`http=${status}`);
  }
  if (envelope.encoding !== null) parts.push(`encoding=${envelope.encoding}`);
  if (envelope.timeout !== null) parts.push(`timeout=${formatGrpcTimeout(envelope.timeout)}`);
  if (envelope.metadata.length > 0) parts.push(`metadata=${envelope.metadata.length}`);
  return parts.join(' ');
}

function formatData(envelope: GrpcData, options: GrpcLineOptions, paint: Paint): string {
  const parts = [envelope.length === null ? '?B' : `${envelope.length}B`];
  if (envelope.compressed) parts.push(`(compressed, wire ${envelope.wireLength}B)`);
  for (const anomaly of envelope.anomalies) parts.push(paint(YELLOW, `[${anomaly.code}]`));
  const limit = options.previewBytes ?? DEFAULT_PREVIEW_BYTES;
  if (options.typeName !== undefined) parts.push(paint(DIM, options.typeName));
  if (options.decodedPreview !== undefined) parts.push(options.decodedPreview);
  else if (envelope.payload !== null && limit > 0)
    parts.push(previewBytes(envelope.payload, limit));
  return parts.join(' ');
}

function formatEnd(envelope: GrpcEnd, paint: Paint): string {
  if (envelope.error !== null) {
    const { code, side, reason } = envelope.error;
    return paint(RED, `error ${code} by ${side}: ${reason}`);
  }
  const name = envelope.statusName ?? '?';
  const parts = [
    envelope.status === 0 ? paint(GREEN, name) : paint(YELLOW, `${name}(${envelope.status})`),
  ];
  if (envelope.message !== '') parts.push(JSON.stringify(envelope.message));
  if (envelope.synthetic) parts.push('(trailers-only)');
  return parts.join(' ');
}

function formatFlow(envelope: GrpcFlow, paint: Paint): string {
  const state = envelope.state === 'complete' ? paint(GREEN, 'complete') : paint(RED, 'error');
  const status = envelope.status === null ? '' : ` ${getStatusName(envelope.status)}`;
  const counts = `req=${envelope.requestMessages} resp=${envelope.responseMessages}`;
  return `${envelope.flowType} ${state}${status} ${counts} ${formatDuration(envelope.durationMs)}`;
}

/**
 * The text line of one envelope, without trailing newline. Times are UTC (`HH:MM:SS.mmm`) so a
 * line reads the same on every machine and matches the records' ISO times.
 */
export function formatGrpcLine(envelope: GrpcEnvelope, options: GrpcLineOptions): string {
  const paint = options.color ? paintAnsi : paintNone;
  const time = paint(DIM, new Date(envelope.time).toISOString().slice(11, 23));
  const flowId = envelope.flowId.slice(0, FLOW_ID_LENGTH);
  if (envelope.kind === 'flow') {
    const call = paint(BOLD, callName(envelope.service, envelope.method, ''));
    return `${time} ${flowId} flow ${call} ${formatFlow(envelope, paint)}`;
  }
  const arrow = envelope.direction === 'send' ? paint(CYAN, '→') : paint(MAGENTA, '←');
  const prefix = `${time} ${flowId} #${envelope.sequence} ${arrow}`;
  switch (envelope.kind) {
    case 'start': {
      const call = paint(BOLD, callName(envelope.service, envelope.method, envelope.path));
      return `${prefix} ${call} start ${formatStart(envelope)}`.trimEnd();
    }
    case 'data':
    case 'end': {
      const call = options.call === undefined ? '' : ` ${paint(BOLD, options.call)}`;
      const details =
        envelope.kind === 'data'
          ? formatData(envelope, options, paint)
          : formatEnd(envelope, paint);
      return `${prefix}${call} ${envelope.kind} ${details}`;
    }
    default:
      return assertNever(envelope);
  }
}
