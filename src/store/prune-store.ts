import { lockStore } from './prepare-store.js';
import type { SqlConnection, SqlValue } from './sql-connection.js';

/** Retention: the oldest flows go first once either limit is passed (null: no limit). */
export interface RetentionLimits {
  readonly maxSizeBytes: number | null;
  readonly maxAgeMs: number | null;
}

/** Deletes the flows `where` selects, with their events and headers. */
async function deleteFlows(
  connection: SqlConnection,
  where: string,
  params: readonly SqlValue[],
): Promise<number> {
  const rows = await connection.all(`SELECT id FROM flows WHERE ${where}`, params);
  return deleteFlowIds(
    connection,
    rows.map((row) => String(row.id)),
  );
}

/** Deletes the flows with these ids, with their events and headers. */
async function deleteFlowIds(connection: SqlConnection, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const list = chunk.map(() => '?').join(', ');
    await connection.run(`DELETE FROM events WHERE flow_id IN (${list})`, chunk);
    await connection.run(`DELETE FROM flow_headers WHERE flow_id IN (${list})`, chunk);
    await connection.run(`DELETE FROM flows WHERE id IN (${list})`, chunk);
  }
  return ids.length;
}

/** Another process's flows still `active` are deleted by age too: that process may be gone. */
const NOT_OURS_ACTIVE = "(state <> 'active' OR origin <> ?)";

/**
 * Applies `--store-max-age` and `--store-max-size` (docs/store.md, "Retention"); resolves to the
 * number of flows deleted.
 */
export async function pruneStore(
  connection: SqlConnection,
  origin: string,
  limits: RetentionLimits,
  now: number,
): Promise<number> {
  let deleted = 0;
  if (limits.maxAgeMs !== null) {
    const cutoff = now - limits.maxAgeMs;
    deleted += await connection.transaction(async () => {
      await lockStore(connection);
      const count = await deleteFlows(connection, `started_at < ? AND ${NOT_OURS_ACTIVE}`, [
        cutoff,
        origin,
      ]);
      await connection.run('DELETE FROM events WHERE flow_id IS NULL AND time < ?', [cutoff]);
      return count;
    });
  }
  if (limits.maxSizeBytes !== null) {
    const max = limits.maxSizeBytes;
    // Deletes the oldest finished flows whose stored bytes cover the excess, measures again, and
    // goes on a bounded number of rounds (the next check continues): what is written for a flow
    // underestimates its share of a file a little (pages, indexes), never by much.
    for (let round = 0; round < 16; round++) {
      const size = await connection.sizeBytes();
      if (size <= max) break;
      const count = await connection.transaction(async () => {
        await lockStore(connection);
        const oldest = await connection.all(
          "SELECT id, stored_bytes FROM flows WHERE state <> 'active' ORDER BY started_at, id LIMIT 5000",
        );
        const ids: string[] = [];
        let covered = 0;
        for (const row of oldest) {
          if (covered >= size - max) break;
          ids.push(String(row.id));
          covered += Math.max(1, Number(row.stored_bytes));
        }
        return deleteFlowIds(connection, ids);
      });
      if (count === 0) break;
      deleted += count;
      await connection.reclaim();
    }
  }
  return deleted;
}
