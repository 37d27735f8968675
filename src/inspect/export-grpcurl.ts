import type { HeaderList } from '../http2/channel-event.js';
import { parseGrpcTimeout } from '../output/format-duration.js';
import type { EventRow, FlowRow } from '../store/store-reader.js';
import { readView } from './event-envelope.js';
import { formatFlowName, formatOutcome } from './format-flow-table.js';

/** Request metadata grpcurl sets itself, or that would confuse a replay. */
const SKIPPED = new Set(['te', 'user-agent', 'content-length', 'host']);
const DELIMITER = 'GRPCTAP_MESSAGES';

/** POSIX shell single-quoting. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

interface StartLine {
  readonly metadata?: HeaderList;
  readonly timeout?: string | null;
}

/**
 * A runnable `grpcurl` command that repeats one stored gRPC call against its upstream: its
 * request metadata, deadline and messages (as proto JSON, on stdin through a here-document),
 * `-plaintext` for a cleartext upstream, `-authority` when the call named another one. A call
 * whose request messages have no schema view (grpcurl reads JSON it can map to the schema) is
 * written commented out, saying why. Returns null for plain HTTP flows.
 */
export function toGrpcurlCommand(row: FlowRow, events: readonly EventRow[]): string | null {
  if (row.protocol !== 'grpc') return null;
  const startEvent = events.find((event) => event.kind === 'start' && event.direction === 'send');
  const start = startEvent?.line ? (JSON.parse(startEvent.line) as StartLine) : {};
  const connection =
    row.connection === null
      ? null
      : (JSON.parse(row.connection) as {
          upstream: { host: string; port: number; tls: boolean } | null;
        });
  const upstream = connection?.upstream ?? null;
  const target =
    upstream === null
      ? row.authority
      : `${upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host}:${upstream.port}`;
  const args = ['grpcurl'];
  if (upstream !== null && !upstream.tls) args.push('-plaintext');
  if (row.authority !== '' && row.authority !== target)
    args.push('-authority', shellQuote(row.authority));
  for (const [name, value] of start.metadata ?? []) {
    if (SKIPPED.has(name.toLowerCase())) continue;
    args.push('-H', shellQuote(`${name}: ${value}`));
  }
  const timeoutMs = start.timeout ? parseGrpcTimeout(start.timeout) : null;
  if (timeoutMs !== null) args.push('-max-time', String(Math.max(0.001, timeoutMs / 1000)));
  const requests = events.filter((event) => event.kind === 'data' && event.direction === 'send');
  const views = requests.map(readView);
  const missing = views.findIndex((view) => view === null || view.decodedAs !== 'schema');
  args.push('-d', '@', shellQuote(target), shellQuote(`${row.service}/${row.method}`));
  const heading = `# ${row.id.slice(0, 8)} ${formatFlowName(row)} ${formatOutcome(row)} at ${new Date(row.started_at).toISOString()}\n`;
  const body = views.map((view) => `${JSON.stringify(view?.decoded ?? null)}\n`).join('');
  const command = `${args.join(' ')} <<'${DELIMITER}'\n${body}${DELIMITER}\n`;
  if (missing < 0) return `${heading}${command}`;
  const why = `# not runnable: request message #${missing + 1} was decoded without a schema (give grpctap --proto, --descriptor-set or --reflect)\n`;
  return `${heading}${why}${command.replace(/^/gm, '# ')}`;
}
