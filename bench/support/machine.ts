import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type as osType } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  os: string;
  loadAverage: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() || 'unknown',
    cores: list.length,
    memoryGiB: totalmem() / 2 ** 30,
    freeMemoryGiB: freemem() / 2 ** 30,
    node: process.version,
    os: `${osType()} ${release()}`,
    loadAverage: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
  };
}

export interface ProcMemory {
  /** Resident set now, in MiB. */
  rssMiB: number;
  /** Peak resident set over the process's life (VmHWM), in MiB. */
  peakMiB: number;
}

/** Reads a Linux process's memory from /proc; undefined when it is gone or /proc is absent. */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Polls a process's RSS, keeping the highest value seen and the kernel's own high-water mark. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private maxRss = 0;
  private lastPeak = 0;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }

  /** Stops polling; returns the peak in MiB (VmHWM when readable, else the highest sample). */
  stop(): { peakMiB: number; maxSampledMiB: number } {
    this.sample();
    clearInterval(this.timer);
    return { peakMiB: this.lastPeak || this.maxRss, maxSampledMiB: this.maxRss };
  }

  private sample(): void {
    const mem = procMemory(this.pid);
    if (!mem) return;
    if (Number.isFinite(mem.rssMiB)) this.maxRss = Math.max(this.maxRss, mem.rssMiB);
    if (Number.isFinite(mem.peakMiB)) this.lastPeak = Math.max(this.lastPeak, mem.peakMiB);
  }
}

/** CPU time (user + system) a Linux process has used so far, in seconds; NaN when unreadable. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line; clock ticks are 100 a second on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
