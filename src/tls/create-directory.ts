import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeCause, errorCode } from './fs-error.js';

/** Why {@link createDirectory} stopped: the first path it could not use or create, and why. */
export interface DirectoryFailure {
  readonly path: string;
  readonly reason: string;
}

/**
 * Creates `dir` and any missing parents, one level at a time: it walks up to the first ancestor
 * that exists, then creates each level below it with a single non-recursive `mkdir` (mode `mode`
 * for every level it creates; existing levels keep theirs).
 *
 * Node's `mkdir(..., { recursive: true })` retries forever when a file system answers `ENOENT`
 * for a directory whose parent exists (`/proc`, some FUSE mounts): it creates the parent, sees
 * `EEXIST`, and tries the child again. Here every system call is made once per level, so such a
 * file system ends with a failure naming the level it refused.
 *
 * A level that another process creates at the same moment is accepted (`EEXIST` on a directory).
 *
 * @returns null once `dir` exists as a directory, else the first failure.
 */
export async function createDirectory(dir: string, mode: number): Promise<DirectoryFailure | null> {
  const missing: string[] = [];
  for (let current = resolve(dir); ;) {
    const found = await inspect(current);
    if (found === 'directory') break;
    if (found === 'missing') {
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) return { path: current, reason: 'the root does not exist' };
      current = parent;
      continue;
    }
    return { path: current, reason: found };
  }
  for (const level of missing) {
    try {
      await mkdir(level, { mode });
    } catch (cause) {
      if (errorCode(cause) === 'EEXIST' && (await inspect(level)) === 'directory') continue;
      return { path: level, reason: describeCause(cause) };
    }
  }
  return null;
}

/** `directory`, `missing` (it or a parent does not exist, or a parent is a file), or a reason. */
async function inspect(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'it exists and is not a directory';
  } catch (cause) {
    const code = errorCode(cause);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : describeCause(cause);
  }
}
