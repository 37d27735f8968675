import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { parseFilter } from '../filter/parse-filter.js';
import { exportEventLine } from '../inspect/export-ndjson.js';
import { harPrologue, HAR_EPILOGUE, toHarEntry } from '../inspect/export-har.js';
import { toGrpcurlCommand } from '../inspect/export-grpcurl.js';
import { toFlowJson } from '../inspect/flow-json.js';
import { formatFlowDetail, toFlowDetailJson } from '../inspect/format-flow-detail.js';
import { formatFlowTable } from '../inspect/format-flow-table.js';
import { openStoreReader, type StoreReader } from '../store/store-reader.js';
import { redactStoreLocation } from '../store/redact-url.js';
import type { StoreCommandKind, StoreCommandOptions } from './parse-options.js';

/** How often `flows --follow` looks for newly finished flows. */
const FOLLOW_POLL_MS = 300;

/** Writes `text`, waiting while the stream's buffer is full. */
async function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Resolves on SIGINT / SIGTERM (for `--follow`), removing its handlers. */
function interrupted(): { promise: Promise<void>; stopped: () => boolean } {
  let stop = false;
  const promise = new Promise<void>((resolve) => {
    const done = (): void => {
      stop = true;
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  return { promise, stopped: () => stop };
}

async function runFlows(
  reader: StoreReader,
  options: StoreCommandOptions,
  log: (line: string) => void,
): Promise<number> {
  const filter = parseFilter(options.filter);
  const mark = options.follow ? await reader.lastMark() : 0;
  const rows = await reader.listFlows(filter, options.limit);
  const out = process.stdout;
  const print = async (list: typeof rows, heading: boolean): Promise<void> => {
    if (list.length === 0) return;
    if (options.json) {
      for (const row of list) await write(out, `${JSON.stringify(toFlowJson(row))}\n`);
    } else {
      await write(out, formatFlowTable(list, heading));
    }
  };
  await print(rows, true);
  const gaps = await reader.countGaps();
  if (gaps > 0)
    log(
      `the store holds ${gaps} gap record${gaps === 1 ? '' : 's'}: messages it could not keep up with were not stored (grpctap export shows them)`,
    );
  if (!options.follow) {
    if (rows.length === 0)
      log(
        `no flows in ${redactStoreLocation(options.store)}${options.filter === '' ? '' : ` match ${JSON.stringify(options.filter)}`}`,
      );
    return 0;
  }
  const stop = interrupted();
  log(
    `following ${redactStoreLocation(options.store)}: matching flows are printed as they finish (Ctrl-C ends)`,
  );
  let next = mark;
  let heading = rows.length === 0;
  while (!stop.stopped()) {
    const found = await reader.finishedSince(filter, next);
    next = found.mark;
    await print(found.flows, heading);
    if (found.flows.length > 0) heading = false;
    await Promise.race([delay(FOLLOW_POLL_MS), stop.promise]);
  }
  return 0;
}

async function runShow(
  reader: StoreReader,
  options: StoreCommandOptions,
  showSecrets: boolean,
): Promise<number> {
  const row = await reader.findFlow(options.flow);
  const events = await reader.eventsOf(row.id);
  const text = options.json
    ? `${JSON.stringify(toFlowDetailJson(row, events))}\n`
    : formatFlowDetail(row, events, { showSecrets });
  await write(process.stdout, text);
  return 0;
}

async function runExport(
  reader: StoreReader,
  options: StoreCommandOptions,
  version: string,
): Promise<number> {
  const filter = parseFilter(options.filter);
  const out: Writable =
    options.out === null ? process.stdout : createWriteStream(options.out, { flags: 'w' });
  const failure =
    options.out === null
      ? null
      : once(out, 'error').then(([error]) => Promise.reject(error as Error));
  failure?.catch(() => undefined);
  const work = async (): Promise<void> => {
    switch (options.format) {
      case 'ndjson':
        for await (const event of reader.exportEvents(filter)) {
          const line = exportEventLine(event);
          if (line !== null) await write(out, line);
        }
        return;
      case 'har': {
        await write(out, harPrologue(version));
        let first = true;
        for await (const row of reader.iterateFlows(filter)) {
          const entry = JSON.stringify(toHarEntry(row, await reader.eventsOf(row.id)));
          await write(out, first ? entry : `,\n${entry}`);
          first = false;
        }
        await write(out, HAR_EPILOGUE);
        return;
      }
      case 'grpcurl':
        await write(
          out,
          '#!/bin/sh\n# gRPC calls exported by grpctap, one grpcurl command each (docs/store.md)\n',
        );
        for await (const row of reader.iterateFlows(filter)) {
          const command = toGrpcurlCommand(row, await reader.eventsOf(row.id));
          if (command !== null) await write(out, `\n${command}`);
        }
    }
  };
  await (failure === null ? work() : Promise.race([work(), failure]));
  if (options.out !== null) {
    out.end();
    await Promise.race([once(out, 'finish'), failure]);
  }
  return 0;
}

/**
 * `grpctap flows`, `show` and `export`: read the store, print to stdout (or `-o FILE`). A bad
 * filter throws `FilterError` (exit 2); a missing or foreign store a `StoreError` (exit 1).
 */
export async function runStoreCommand(
  kind: StoreCommandKind,
  options: StoreCommandOptions,
  context: { readonly log: (line: string) => void; readonly version: string },
): Promise<number> {
  if (kind !== 'show') parseFilter(options.filter);
  const reader = await openStoreReader(options.store);
  try {
    switch (kind) {
      case 'flows':
        return await runFlows(reader, options, context.log);
      case 'show':
        return await runShow(reader, options, options.showSecrets);
      case 'export':
        return await runExport(reader, options, context.version);
    }
  } finally {
    await reader.close();
  }
}
