/** The parsed form of a filter expression (docs/filters.md); pure data. */

/** Fields compared with text (`=`, `!=`, `~`, `!~`). */
export type TextField =
  | 'service'
  | 'method'
  | 'path'
  | 'authority'
  | 'state'
  | 'type'
  | 'protocol'
  | 'client'
  | 'origin'
  | 'header'
  | 'msg';

/** Fields compared as numbers (every operator but `~` and `!~`). */
export type NumberField = 'status' | 'duration' | 'size' | 'messages' | 'time';

export type FilterField = TextField | NumberField;

export type CompareOp = '=' | '!=' | '~' | '!~' | '<' | '<=' | '>' | '>=';

/** One comparison: `field op value`. */
export type Comparison =
  | {
      readonly kind: 'text';
      readonly field: TextField;
      /** The header name for `h.NAME` (lower case); empty otherwise. */
      readonly header: string;
      /** `=`, `!=`: equal (for `msg`: contains); `~`, `!~`: the regular expression matches. */
      readonly op: '=' | '!=' | '~' | '!~';
      readonly value: string;
    }
  | {
      readonly kind: 'number';
      readonly field: NumberField;
      readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
      /** Milliseconds for `duration`, bytes for `size`, ms since the epoch for `time`. */
      readonly value: number;
    };

export type FilterNode =
  | { readonly kind: 'all' }
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | { readonly kind: 'compare'; readonly comparison: Comparison };
