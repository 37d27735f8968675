/**
 * A store that cannot be opened, read or written for a reason the user can act on (not a grpctap
 * store, a newer schema, a locked or unreachable database). Its message is one line naming the
 * store; `main` prints it and exits 1.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
