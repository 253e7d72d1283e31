// CPU time of processes from /proc/<pid>/stat (Linux). Fields are in clock ticks (CLK_TCK, usually 100 per
// second, so 10 ms resolution): meaningful only summed over a whole throughput run, never per chain.
import { execFileSync } from 'node:child_process';
import { readFile, readdir, realpath } from 'node:fs/promises';

export interface ProcessTicks {
  ppid: number;
  /** utime + stime of the process itself. */
  own: number;
  /** cutime + cstime: children it has already reaped (for the postmaster: exited backends). */
  reapedChildren: number;
}

let ticksPerSecond: number | undefined;

export function readClockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const parsed = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`getconf CLK_TCK returned ${parsed}`);
    ticksPerSecond = parsed;
  }
  return ticksPerSecond;
}

/** undefined when the process is gone (or /proc is not readable). */
export async function readProcessTicks(pid: number): Promise<ProcessTicks | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse from the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(rest[n - 3]);
  return { ppid: field(4), own: field(14) + field(15), reapedChildren: field(16) + field(17) };
}

/** CPU ms (user + system) a process has used so far, itself only. */
export async function readProcessCpuMs(pid: number): Promise<number> {
  const ticks = await readProcessTicks(pid);
  if (ticks === undefined) throw new Error(`no /proc/${pid}/stat`);
  return (ticks.own * 1000) / readClockTicksPerSecond();
}

/**
 * CPU ms of a process and all its descendants: each one's own time plus its reaped children's, so children
 * that have already exited still count. For a child process the harness started (e.g. `tsx` → node), and
 * for the PostgreSQL server: the postmaster's tree holds every backend, live or exited, and the walwriter,
 * checkpointer, autovacuum….
 */
export async function readProcessTreeCpuMs(rootPid: number): Promise<number> {
  const root = await readProcessTicks(rootPid);
  if (root === undefined) throw new Error(`no /proc/${rootPid}/stat`);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const all = await Promise.all(pids.map(async (pid) => [pid, await readProcessTicks(pid)] as const));
  const childrenOf = new Map<number, { pid: number; ticks: ProcessTicks }[]>();
  for (const [pid, ticks] of all) {
    if (ticks === undefined || pid === rootPid) continue;
    childrenOf.set(ticks.ppid, [...(childrenOf.get(ticks.ppid) ?? []), { pid, ticks }]);
  }
  let total = 0;
  const pending = [{ pid: rootPid, ticks: root }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    total += next.ticks.own + next.ticks.reapedChildren;
    pending.push(...(childrenOf.get(next.pid) ?? []));
  }
  return (total * 1000) / readClockTicksPerSecond();
}

/**
 * The postmaster of the server a backend belongs to, when that server runs on this machine (same /proc):
 * the parent of `backendPid`, checked to be a postgres process whose working directory is the server's
 * data directory (a postmaster runs in it). undefined for a remote server.
 */
export async function findPostmasterPid(backendPid: number, dataDirectory: string): Promise<number | undefined> {
  const backend = await readProcessTicks(backendPid);
  if (backend === undefined) return undefined;
  try {
    const [cmdline, cwd, dataDir] = await Promise.all([
      readFile(`/proc/${backend.ppid}/cmdline`, 'utf8'),
      realpath(`/proc/${backend.ppid}/cwd`),
      realpath(dataDirectory),
    ]);
    return cmdline.includes('postgres') && cwd === dataDir ? backend.ppid : undefined;
  } catch {
    return undefined;
  }
}
