import Redis from 'ioredis';
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
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
    return { commands: field('total_commands_processed'), clients: field('connected_clients') };
  } finally {
    redis.disconnect();
  }
}
