import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { procCpuSeconds } from './machine';
import type { ChildServer } from './child';

/**
 * The SQL statements the service processes have sent so far: the sum of `db_statements_total`
 * over their /metrics (each process counts its own). NaN when a build does not expose it.
 */
export async function sqlStatements(processes: ChildServer[]): Promise<number> {
  let total = 0;
  for (const p of processes) {
    const res = await fetch(`${p.baseUrl}/metrics`);
    const text = await res.text();
    const line = /^db_statements_total (\S+)$/m.exec(text);
    if (!res.ok || !line) return NaN;
    total += Number(line[1]);
  }
  return total;
}

export interface RedisStats {
  /** `total_commands_processed` of INFO stats: every command of every client since Redis started. */
  commands: number;
  /** Clients connected at the moment, this reading's own connection included. */
  clients: number;
  /** CPU time the Redis server has used (user + system), in seconds. */
  cpuSeconds: number;
}

/**
 * Reads Redis's own command count. The delta over a run is the service's commands only while
 * the bench is Redis's one other client: the readings say how many clients were connected, so
 * a shared Redis shows in the notes. Each reading adds its own few commands (connect, INFO).
 */
export async function redisStats(url: string): Promise<RedisStats> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableReadyCheck: false });
  try {
    const info = await redis.info();
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    return {
      commands: field('total_commands_processed'),
      clients: field('connected_clients'),
      cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'),
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * CPU time of the Postgres backends serving `url`'s database, by process id: the service's
 * pooled connections (the reading's own is left out). Read from /proc, so only for a Postgres
 * on this machine; empty when it is elsewhere.
 */
export async function postgresBackendCpu(url: string): Promise<Map<number, number>> {
  const ds = new DataSource({ type: 'postgres', url, extra: { max: 1 } });
  await ds.initialize();
  try {
    const rows: Array<{ pid: number }> = await ds.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const seconds = procCpuSeconds(pid);
      if (Number.isFinite(seconds)) cpu.set(pid, seconds);
    }
    return cpu;
  } finally {
    await ds.destroy();
  }
}

/** The CPU the backends used between two readings; a backend opened meanwhile counts from zero. */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}
