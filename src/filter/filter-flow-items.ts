import type { FlowItem, FlowSink } from '../flow/flow-sink.js';
import type { GrpcFlowItem } from '../flow/grpc-flow-item.js';
import type { HttpExchange } from '../flow/http-exchange.js';
import type { HeaderList } from '../http2/channel-event.js';
import { messageSearchText } from './message-search-text.js';
import { stringifyView } from '../store/to-store-op.js';
import type { FilterNode } from './filter-ast.js';
import { evaluateFilter, type Truth } from './evaluate-filter.js';
import type { FlowFacts } from './flow-facts.js';

/** Items of one undecided flow held back while its filter result is unknown. */
const MAX_HELD_PER_FLOW = 256;
/** Items held back over all undecided flows. */
const MAX_HELD_TOTAL = 50_000;

type MutableFacts = { -readonly [K in keyof FlowFacts]: FlowFacts[K] } & {
  headers: [string, string][];
  messageTexts: (string | null)[];
};

interface FlowState {
  readonly facts: MutableFacts;
  decision: Truth;
  held: FlowItem[];
  dropped: number;
}

/** True when the filter reads `msg` (only then are message texts computed). */
function readsMessages(node: FilterNode): boolean {
  switch (node.kind) {
    case 'all':
      return false;
    case 'and':
    case 'or':
      return readsMessages(node.left) || readsMessages(node.right);
    case 'not':
      return readsMessages(node.operand);
    case 'compare':
      return node.comparison.kind === 'text' && node.comparison.field === 'msg';
  }
}

/** The facts of a finished plain HTTP exchange. */
export function exchangeFacts(exchange: HttpExchange, origin: string): FlowFacts {
  const headers: HeaderList = [
    ...exchange.requestHeaders,
    ...(exchange.responseHeaders ?? []),
    ...exchange.requestTrailers,
    ...exchange.responseTrailers,
  ];
  return {
    final: true,
    protocol: 'http',
    state: exchange.error === null ? 'complete' : 'error',
    flowType: null,
    service: '',
    method: exchange.method,
    path: exchange.path,
    authority: exchange.authority,
    status: exchange.status,
    durationMs: exchange.durationMs,
    size: exchange.requestBytes + exchange.responseBytes,
    messages: 0,
    time: exchange.time,
    clientAddress: exchange.connection?.clientAddress ?? null,
    clientPort: exchange.connection?.clientPort ?? null,
    origin,
    headers,
    messageTexts: [exchange.requestBody, exchange.responseBody]
      .filter((body) => body !== null)
      .map((body) => messageSearchText(null, body.bytes)),
  };
}

/** Folds one gRPC item into its flow's facts. */
export function addGrpcItem(facts: MutableFacts, item: GrpcFlowItem, withTexts: boolean): void {
  const { envelope } = item;
  switch (envelope.kind) {
    case 'start':
      for (const pair of envelope.headers) facts.headers.push([pair[0], pair[1]]);
      return;
    case 'data': {
      facts.messages += 1;
      facts.size += envelope.raw.byteLength;
      if (withTexts) {
        const view = item.decodedView();
        facts.messageTexts.push(
          messageSearchText(view === null ? null : stringifyView(view), envelope.payload),
        );
      }
      return;
    }
    case 'end':
      facts.status = envelope.status;
      for (const pair of envelope.trailers) facts.headers.push([pair[0], pair[1]]);
      return;
    case 'flow':
      facts.final = true;
      facts.state = envelope.state;
      facts.flowType = envelope.flowType;
      facts.status = envelope.status;
      facts.durationMs = envelope.durationMs;
      facts.messages = envelope.requestMessages + envelope.responseMessages;
  }
}

/** The facts of a gRPC call from its request `start`. */
export function startFacts(item: GrpcFlowItem, origin: string): MutableFacts {
  const { call, envelope } = item;
  return {
    final: false,
    protocol: 'grpc',
    state: 'active',
    flowType: null,
    service: call.service,
    method: call.method,
    path: call.path,
    authority: call.authority,
    status: null,
    durationMs: null,
    size: 0,
    messages: 0,
    time: envelope.time,
    clientAddress: call.connection.clientAddress,
    clientPort: call.connection.clientPort,
    origin,
    headers: [],
    messageTexts: [],
  };
}

/**
 * `--filter` in front of the stdout tail: a call's items pass once the filter is true of it, are
 * dropped once it is false, and are held (bounded) while it is unknown: `method=Say` decides at
 * the first line, `status!=OK` only at the end, when the held lines are written at once. Plain
 * exchanges are decided whole; records of no flow (early resets) pass only without a filter.
 * The store and `--record` never see this: they keep everything.
 */
export function createFilteredSink(
  inner: FlowSink,
  filter: FilterNode,
  origin: string,
  warn: (line: string) => void,
): FlowSink {
  if (filter.kind === 'all') return inner;
  const withTexts = readsMessages(filter);
  const flows = new Map<string, FlowState>();
  let heldTotal = 0;
  const release = (state: FlowState): void => {
    heldTotal -= state.held.length;
    for (const item of state.held) inner.accept(item);
    state.held = [];
    if (state.dropped > 0) {
      warn(
        `--filter: ${state.dropped} line${state.dropped === 1 ? '' : 's'} of a matching call were not kept while the filter waited for its end`,
      );
      state.dropped = 0;
    }
  };
  return {
    name: inner.name,
    needs: { httpBodies: inner.needs.httpBodies || withTexts },
    accept(item) {
      if (item.kind === 'earlyResets') return;
      if (item.kind === 'http') {
        if (evaluateFilter(filter, exchangeFacts(item.exchange, origin)) === true)
          inner.accept(item);
        return;
      }
      const { flowId } = item.envelope;
      let state = flows.get(flowId);
      if (state === undefined) {
        state = { facts: startFacts(item, origin), decision: null, held: [], dropped: 0 };
        flows.set(flowId, state);
      }
      addGrpcItem(state.facts, item, withTexts);
      if (state.decision === null) {
        state.decision = evaluateFilter(filter, state.facts);
        if (state.decision === null && item.envelope.kind === 'flow') state.decision = false;
        if (state.decision === true) release(state);
        if (state.decision === false) {
          heldTotal -= state.held.length;
          state.held = [];
        }
      }
      if (state.decision === true) inner.accept(item);
      else if (state.decision === null) {
        if (state.held.length < MAX_HELD_PER_FLOW && heldTotal < MAX_HELD_TOTAL) {
          state.held.push(item);
          heldTotal += 1;
        } else {
          state.dropped += 1;
        }
      }
      if (item.envelope.kind === 'flow') flows.delete(flowId);
    },
    close: () => inner.close(),
  };
}
