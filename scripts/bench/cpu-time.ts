import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time by process, read from Linux's /proc. On a shared machine the latency of the same code moves
 * with its neighbours' load, while the CPU a contact costs moves far less: this is what lets two
 * versions be compared on a busy day.
 */

let clockTicksPerSecond: number | undefined;

/** CPU time (user + system, in ms) the process has used so far; null where /proc cannot tell (another OS, a process gone). */
function cpuMsOf(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  // the command name (field 2) may hold spaces; the fields after it start with the state (field 3)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[14 - 3]), Number(fields[15 - 3])];
  return ((utime + stime) * 1000) / clockTicksPerSecond;
}

/** Whether `pid` is a process on this machine whose command name starts with `name` (a server's pid, checked before counting it). */
export function isLocalProcess(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(name);
  } catch {
    return false; // no such process here: the server runs elsewhere (or this is not Linux)
  }
}

/** The CPU time each of a group's processes has used so far, by pid. */
export function cpuSnapshot(pids: number[]): Map<number, number> {
  const snapshot = new Map<number, number>();
  for (const pid of pids) {
    const ms = cpuMsOf(pid);
    if (ms !== null) snapshot.set(pid, ms);
  }
  return snapshot;
}

/**
 * CPU time the group used between two snapshots, in ms. A process that appeared in between counts from
 * zero (a new database backend, say); one gone by the end is left out. Null when /proc told nothing.
 */
export function cpuMsBetween(start: Map<number, number>, end: Map<number, number>): number | null {
  if (end.size === 0) return null;
  let total = 0;
  for (const [pid, ms] of end) total += ms - (start.get(pid) ?? 0);
  return total;
}
