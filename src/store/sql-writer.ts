import type { HeaderList } from '../http2/channel-event.js';
import type { SqlConnection, SqlValue } from './sql-connection.js';
import {
  EVENT_COLUMNS,
  EVENT_WIDTH,
  type EventValues,
  FLOW_COLUMNS,
  FLOW_INDEX,
  FLOW_WIDTH,
  FLOWS_PER_INSERT,
  placeholders,
  ROW_OVERHEAD,
  ROWS_PER_INSERT,
  sizeOfRow,
} from './store-rows.js';
import type { GrpcDataOp, GrpcFlowOp, GrpcStartOp, HttpOp, LostOp, StoreOp } from './store-op.js';
import { messageSearchText, searchableHeaderValue } from '../filter/message-search-text.js';
import { pruneStore, type RetentionLimits } from './prune-store.js';

export type { RetentionLimits } from './prune-store.js';

export interface SqlWriter {
  /** Stores one batch in one transaction. */
  write(ops: readonly StoreOp[]): Promise<void>;
  /** Applies the retention limits; resolves to the number of flows deleted. */
  prune(now: number): Promise<number>;
}

/** A flow's row as this batch changes it: a new row to insert, or columns to set on an old one. */
interface PendingFlow {
  insert: SqlValue[] | null;
  readonly set: Map<string, SqlValue>;
}

interface Delta {
  requestMessages: number;
  responseMessages: number;
  requestBytes: number;
  responseBytes: number;
  /** Bytes of the rows written for the flow (`stored_bytes`, what size retention counts). */
  storedBytes: number;
}

/**
 * Turns store ops into SQL on either backend. Message counts and byte totals of a flow are
 * summed over the batch and written once per flow; events are inserted many rows per statement.
 */
export function createSqlWriter(
  connection: SqlConnection,
  origin: string,
  limits: RetentionLimits,
): SqlWriter {
  let events: SqlValue[] = [];
  let headers: SqlValue[] = [];
  const deltas = new Map<string, Delta>();

  const flushEvents = async (): Promise<void> => {
    while (events.length > 0) {
      const take = Math.min(events.length, ROWS_PER_INSERT * EVENT_WIDTH);
      const chunk = events.slice(0, take);
      events = events.slice(take);
      await connection.run(
        `INSERT INTO events (${EVENT_COLUMNS}) VALUES ${placeholders(take / EVENT_WIDTH, EVENT_WIDTH)}`,
        chunk,
      );
    }
  };
  const flushHeaders = async (): Promise<void> => {
    while (headers.length > 0) {
      const take = Math.min(headers.length, ROWS_PER_INSERT * 4);
      const chunk = headers.slice(0, take);
      headers = headers.slice(take);
      await connection.run(
        `INSERT INTO flow_headers (flow_id, part, name, value) VALUES ${placeholders(take / 4, 4)}`,
        chunk,
      );
    }
  };
  const deltaOf = (flowId: string): Delta => {
    let delta = deltas.get(flowId);
    if (delta === undefined) {
      delta = {
        requestMessages: 0,
        responseMessages: 0,
        requestBytes: 0,
        responseBytes: 0,
        storedBytes: 0,
      };
      deltas.set(flowId, delta);
    }
    return delta;
  };
  const pendingFlows = new Map<string, PendingFlow>();
  const lost: LostOp[] = [];
  const pendingOf = (flowId: string): PendingFlow => {
    let pending = pendingFlows.get(flowId);
    if (pending === undefined) {
      pending = { insert: null, set: new Map() };
      pendingFlows.set(flowId, pending);
    }
    return pending;
  };
  const setColumns = (flowId: string, columns: Readonly<Record<string, SqlValue>>): void => {
    const pending = pendingOf(flowId);
    for (const [name, value] of Object.entries(columns)) pending.set.set(name, value);
  };
  /**
   * Writes every flow row the batch touched, once each: a call that started and ended within
   * the batch (most unary calls) is one INSERT, in rows of `FLOWS_PER_INSERT`; an older flow one
   * UPDATE with what changed and what to add to its counters.
   */
  const flushFlows = async (): Promise<void> => {
    const inserts: SqlValue[] = [];
    const ids = new Set([...pendingFlows.keys(), ...deltas.keys()]);
    for (const flowId of ids) {
      const pending = pendingFlows.get(flowId);
      const delta = deltas.get(flowId);
      const adds: [string, number][] = delta
        ? [
            ['request_messages', delta.requestMessages],
            ['response_messages', delta.responseMessages],
            ['request_bytes', delta.requestBytes],
            ['response_bytes', delta.responseBytes],
            ['stored_bytes', delta.storedBytes],
          ]
        : [];
      if (pending?.insert) {
        const row = pending.insert;
        for (const [name, value] of pending.set) row[FLOW_INDEX.get(name) as number] = value;
        for (const [name, add] of adds) {
          const index = FLOW_INDEX.get(name) as number;
          row[index] = Number(row[index] ?? 0) + add;
        }
        for (const value of row) inserts.push(value);
        continue;
      }
      const names = [...(pending?.set.keys() ?? [])];
      const changed = adds.filter(([, add]) => add !== 0);
      if (names.length === 0 && changed.length === 0) continue;
      const assignments = [
        ...names.map((name) => `${name} = ?`),
        ...changed.map(([name]) => `${name} = ${name} + ?`),
      ];
      await connection.run(`UPDATE flows SET ${assignments.join(', ')} WHERE id = ?`, [
        ...names.map((name) => pending?.set.get(name) ?? null),
        ...changed.map(([, add]) => add),
        flowId,
      ]);
    }
    pendingFlows.clear();
    deltas.clear();
    for (let i = 0; i < inserts.length; i += FLOWS_PER_INSERT * FLOW_WIDTH) {
      const chunk = inserts.slice(i, i + FLOWS_PER_INSERT * FLOW_WIDTH);
      await connection.run(
        `INSERT INTO flows (${FLOW_COLUMNS}) VALUES ${placeholders(chunk.length / FLOW_WIDTH, FLOW_WIDTH)} ON CONFLICT (id) DO NOTHING`,
        chunk,
      );
    }
  };
  const addEvent = (event: EventValues): void => {
    const row: SqlValue[] = [
      event.flowId,
      event.kind,
      event.sequence ?? null,
      event.direction ?? null,
      event.time,
      event.line ?? null,
      event.compressed ?? null,
      event.wireLength ?? null,
      event.length ?? null,
      event.payload ?? null,
      event.raw ?? null,
      event.anomalies ?? null,
      event.view ?? null,
      event.text ?? null,
    ];
    for (const value of row) events.push(value);
    const flowId = row[0];
    if (typeof flowId === 'string') deltaOf(flowId).storedBytes += sizeOfRow(row, 1, row.length);
  };
  const addHeaders = (flowId: string, part: string, list: HeaderList): void => {
    let bytes = 0;
    for (const [name, value] of list) {
      headers.push(flowId, part, name.toLowerCase(), searchableHeaderValue(value));
      bytes += ROW_OVERHEAD + name.length + value.length;
    }
    if (bytes > 0) deltaOf(flowId).storedBytes += bytes;
  };
  const insertFlow = (row: readonly SqlValue[]): Promise<void> => {
    deltaOf(String(row[0])).storedBytes += sizeOfRow(row, 0, row.length);
    pendingOf(String(row[0])).insert = [...row, 0];
    return Promise.resolve();
  };

  const grpcStart = (op: GrpcStartOp): Promise<void> => {
    addHeaders(op.flowId, 'request', op.headers);
    addEvent({
      flowId: op.flowId,
      kind: 'start',
      sequence: 0,
      direction: 'send',
      time: op.time,
      line: op.line,
    });
    return insertFlow([
      op.flowId,
      'grpc',
      'active',
      null,
      op.service,
      op.method,
      op.path,
      op.authority,
      '2',
      op.contentType,
      op.timeout,
      null,
      null,
      null,
      op.time,
      null,
      null,
      0,
      0,
      0,
      0,
      op.clientAddress,
      op.clientPort,
      origin,
      op.connection,
      JSON.stringify(op.headers),
      null,
      null,
      null,
    ]);
  };
  const grpcData = (op: GrpcDataOp): void => {
    const delta = deltaOf(op.flowId);
    const bytes = op.raw?.byteLength ?? 5 + op.wireLength;
    if (op.direction === 'send') {
      delta.requestMessages += 1;
      delta.requestBytes += bytes;
    } else {
      delta.responseMessages += 1;
      delta.responseBytes += bytes;
    }
    addEvent({
      flowId: op.flowId,
      kind: 'data',
      sequence: op.sequence,
      direction: op.direction,
      time: op.time,
      compressed: op.compressed ? 1 : 0,
      wireLength: op.wireLength,
      length: op.length,
      payload: op.payload,
      raw: op.raw,
      anomalies: op.anomalies,
      view: op.view,
      text: op.view === null && !op.protobuf ? messageSearchText(null, op.payload) : null,
    });
  };
  const grpcFlow = (op: GrpcFlowOp): void => {
    // The summary's counts are the call's own: they replace what the batch counted so far.
    const delta = deltaOf(op.flowId);
    delta.requestMessages = 0;
    delta.responseMessages = 0;
    addEvent({ flowId: op.flowId, kind: 'flow', time: op.time, line: op.line });
    setColumns(op.flowId, {
      state: op.state,
      flow_type: op.flowType,
      status: op.status,
      request_messages: op.requestMessages,
      response_messages: op.responseMessages,
      duration_ms: op.durationMs,
      ended_at: op.time,
      connection: op.connection,
    });
  };

  const http = async (op: HttpOp): Promise<void> => {
    addHeaders(op.flowId, 'request', op.requestHeaders);
    if (op.responseHeaders !== null) addHeaders(op.flowId, 'response', op.responseHeaders);
    addHeaders(op.flowId, 'trailer', op.trailers);
    addEvent({ flowId: op.flowId, kind: 'http', time: op.time, line: op.line });
    if (op.requestBody !== null) {
      addEvent({
        flowId: op.flowId,
        kind: 'body',
        direction: 'send',
        time: op.time,
        length: op.requestBodySize,
        payload: op.requestBody,
        text: messageSearchText(null, op.requestBody),
      });
    }
    if (op.responseBody !== null) {
      addEvent({
        flowId: op.flowId,
        kind: 'body',
        direction: 'receive',
        time: op.time,
        length: op.responseBodySize,
        payload: op.responseBody,
        text: messageSearchText(null, op.responseBody),
      });
    }
    await insertFlow([
      op.flowId,
      'http',
      op.state,
      null,
      '',
      op.method,
      op.path,
      op.authority,
      op.httpVersion,
      null,
      null,
      op.status,
      null,
      null,
      op.time,
      op.time + op.durationMs,
      op.durationMs,
      0,
      0,
      op.requestBytes,
      op.responseBytes,
      op.clientAddress,
      op.clientPort,
      origin,
      op.connection,
      JSON.stringify(op.requestHeaders),
      op.responseHeaders === null ? null : JSON.stringify(op.responseHeaders),
      JSON.stringify(op.trailers),
      op.error,
    ]);
  };

  /** A response's headers or trailers: their rows, and the record line of the envelope. */
  const addHeaderEvent = (
    op: {
      readonly flowId: string;
      readonly sequence: number;
      readonly time: number;
      readonly line: string;
    },
    kind: 'start' | 'end',
    part: 'response' | 'trailer',
    list: HeaderList,
    direction: string,
  ): void => {
    addHeaders(op.flowId, part, list);
    addEvent({
      flowId: op.flowId,
      kind,
      sequence: op.sequence,
      direction,
      time: op.time,
      line: op.line,
    });
  };

  const apply = async (op: StoreOp): Promise<void> => {
    switch (op.op) {
      case 'grpcStart':
        return grpcStart(op);
      case 'grpcResponseStart':
        addHeaderEvent(op, 'start', 'response', op.headers, 'receive');
        setColumns(op.flowId, { response_headers: JSON.stringify(op.headers) });
        return;
      case 'grpcData':
        return grpcData(op);
      case 'grpcEnd':
        addHeaderEvent(op, 'end', 'trailer', op.trailers, op.direction);
        setColumns(op.flowId, {
          status: op.status,
          status_name: op.statusName,
          status_message: op.message,
          trailers: JSON.stringify(op.trailers),
          error: op.error,
        });
        return;
      case 'grpcFlow':
        return grpcFlow(op);
      case 'http':
        return http(op);
      case 'record':
        addEvent({ flowId: null, kind: op.kind, time: op.time, line: op.line });
        return;
      case 'lost':
        // After the batch's flow rows are written: the flow may have started in this batch.
        lost.push(op);
        return;
    }
  };

  return {
    async write(ops) {
      await connection.transaction(async () => {
        for (const op of ops) await apply(op);
        await flushEvents();
        await flushHeaders();
        await flushFlows();
        for (const op of lost.splice(0)) {
          await connection.run('UPDATE flows SET lost_events = lost_events + ? WHERE id = ?', [
            op.count,
            op.flowId,
          ]);
        }
      });
    },
    prune: (now) => pruneStore(connection, origin, limits, now),
  };
}
