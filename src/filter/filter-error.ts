/**
 * A filter expression that cannot be read: the message names the 1-based column where reading
 * stopped (`filter: column 8: expected a value after "="`). The commands exit 2 with it.
 */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(
    readonly column: number,
    readonly detail: string,
  ) {
    super(`filter: column ${column}: ${detail}`);
  }
}
