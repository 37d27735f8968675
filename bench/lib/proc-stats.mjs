/**
 * CPU time and memory of a process tree from `/proc` (Linux). CPU is utime + stime of every
 * thread, in clock ticks (`getconf CLK_TCK`, 100 here: 10 ms resolution). Memory is VmRSS and
 * VmHWM summed over the tree; VmHWM is reset to the current RSS by writing 5 to
 * `/proc/PID/clear_refs` (root only), so a peak can be taken per measurement.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
} catch {
  // getconf is missing on odd systems; 100 is the value on every mainstream Linux build.
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it start at index 3.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      state: fields[0],
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return null;
  }
}

function readStatusKib(pid, key) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** `rootPid` and every live descendant (nghttpx runs a master and a worker). */
export function listProcessTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === null) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    children.set(stat.ppid, siblings);
  }
  const tree = [];
  const queue = [rootPid];
  while (queue.length > 0 && tree.length < 256) {
    const pid = queue.shift();
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * A snapshot of the tree: `cpuSeconds` (all threads, user + system), `rssMiB`, `peakMiB` (VmHWM)
 * and the wall-clock `at` (ms, `performance.now()`). Null for a missing pid.
 */
export function snapshotProcess(rootPid) {
  if (!rootPid) return null;
  let ticks = 0;
  let rssKib = 0;
  let peakKib = 0;
  for (const pid of listProcessTree(rootPid)) {
    const stat = readStat(pid);
    if (stat === null || stat.state === 'Z') continue;
    ticks += stat.ticks;
    rssKib += readStatusKib(pid, 'VmRSS');
    peakKib += readStatusKib(pid, 'VmHWM');
  }
  return {
    at: performance.now(),
    cpuSeconds: ticks / ticksPerSecond,
    rssMiB: rssKib / 1024,
    peakMiB: peakKib / 1024,
  };
}

/** Resets VmHWM of the whole tree; false when not permitted (then peaks are lifetime peaks). */
export function resetPeak(rootPid) {
  let ok = true;
  for (const pid of listProcessTree(rootPid)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}
