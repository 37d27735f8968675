/** `value`: takes a value (`--flag VALUE`, `--flag=VALUE`); `switch`: may stand alone. */
export type FlagArity = 'value' | 'switch';

/** A usage error the tokenizer can see without knowing what a flag's value means. */
export type ArgvProblem =
  | { readonly kind: 'unknownOption'; readonly option: string }
  | { readonly kind: 'missingValue'; readonly flag: string };

export interface TokenizedArgv {
  /** Every value given per flag name (without `--`), in order; a lone switch gives `"true"`. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
  /** The first problem, in argument order; the rest of the line is still read. */
  readonly problem: ArgvProblem | null;
}

/**
 * Splits a command line into flag values and positionals, the POSIX / GNU way: `--flag=VALUE`,
 * `--flag VALUE`, `--switch`, `--switch=VALUE`, `-h` for `--help`, `--` ending the options.
 *
 * The value after a flag may start with `-` (`--max-streams -1` reaches the range check, where it
 * gets a message naming the range); only a known option, or `--`, in that place means the value is
 * missing (`--listen --output json`). Pure.
 */
export function tokenizeArgv(
  argv: readonly string[],
  flags: Readonly<Record<string, FlagArity>>,
  shortFlags: Readonly<Record<string, string>> = {},
): TokenizedArgv {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  let problem: ArgvProblem | null = null;
  const report = (found: ArgvProblem): void => {
    problem ??= found;
  };
  const add = (flag: string, value: string): void => {
    const list = values.get(flag);
    if (list) list.push(value);
    else values.set(flag, [value]);
  };
  const isKnownOption = (arg: string): boolean => {
    if (arg === '--') return true;
    if (arg.startsWith('--')) return Object.hasOwn(flags, arg.slice(2).split('=')[0] ?? '');
    return Object.hasOwn(shortFlags, arg);
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const short = Object.hasOwn(shortFlags, arg) ? shortFlags[arg] : undefined;
    if (short !== undefined) {
      if (flags[short] === 'value') {
        const next = argv[index + 1];
        if (next === undefined || isKnownOption(next))
          report({ kind: 'missingValue', flag: short });
        else {
          add(short, next);
          index += 1;
        }
      } else {
        add(short, 'true');
      }
      continue;
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    const arity = arg.startsWith('--') && Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (arity === undefined) {
      report({ kind: 'unknownOption', option: equals < 0 ? arg : arg.slice(0, equals) });
      continue;
    }
    if (equals >= 0) {
      add(name, arg.slice(equals + 1));
      continue;
    }
    if (arity === 'switch') {
      add(name, 'true');
      continue;
    }
    const next = argv[index + 1];
    if (next === undefined || isKnownOption(next)) {
      report({ kind: 'missingValue', flag: name });
      continue;
    }
    add(name, next);
    index += 1;
  }
  return { values, positionals, problem };
}
