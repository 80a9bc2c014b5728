import type { BackendInstance } from './backends';
import { forkChild } from './child';
import type { SeedJob, SeedReply } from './seed-child';

/**
 * Writes `count` earlier rewards of one participant straight into the app's database, and the
 * running total to match, from a child process that loads the entities for that database.
 */
export async function seedRewards(
  rootDir: string,
  store: BackendInstance,
  programId: string,
  participantId: string,
  count: number,
): Promise<{ seconds: number; note: string }> {
  const child = forkChild(rootDir, 'bench/support/seed-child.ts', {
    DATABASE_URL: store.databaseUrl,
  });
  try {
    const reply = await new Promise<SeedReply>((resolve, reject) => {
      child.once('message', (m: SeedReply) => resolve(m));
      child.once('exit', (code) =>
        reject(new Error(`the seeding process exited with code ${code}`)),
      );
      child.send({
        dataDir: store.dataDir,
        databaseUrl: store.databaseUrl,
        programId,
        participantId,
        count,
      } satisfies SeedJob);
    });
    if ('error' in reply) throw new Error(`seeding ${count} rewards failed: ${reply.error}`);
    return reply;
  } finally {
    child.kill();
  }
}
