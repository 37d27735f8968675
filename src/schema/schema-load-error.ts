/**
 * A schema that cannot be loaded (a syntax error, a missing import, an unknown type, a file that is
 * not a descriptor set); the message names the file at fault. In a module of its own so the CLI can recognise it without loading the
 * schema machinery.
 */
export class SchemaLoadError extends Error {
  override readonly name = 'SchemaLoadError';
}
