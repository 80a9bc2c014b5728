import type { BenchContext } from './support/app';
import type { Backend } from './support/backends';
import { forkChild } from './support/child';
import type { ClaimJob, ClaimReply } from './support/code-claims-child';
import { emptySection, type SectionResult } from './support/report';
import { fmt } from './support/stats';

const CLAIMS = Number(process.env.BENCH_CODE_CLAIMS || 5000);
// As many claims at once as a worker runs jobs (WORKER_CONCURRENCY's default).
const CONCURRENCY = Number(process.env.BENCH_CODE_CLAIM_CONCURRENCY || 8);

/** One backend's claims, in a child process that loads the entities for that database. */
async function measure(ctx: BenchContext, backend: Backend): Promise<ClaimReply> {
  const store = await backend.fresh();
  const child = forkChild(ctx.options.rootDir, 'bench/support/code-claims-child.ts', {
    DATABASE_URL: store.databaseUrl,
  });
  try {
    return await new Promise<ClaimReply>((resolve, reject) => {
      child.once('message', (m: ClaimReply) => resolve(m));
      child.once('exit', (code) =>
        reject(new Error(`the claims process exited with code ${code}`)),
      );
      child.send({
        dataDir: store.dataDir,
        databaseUrl: store.databaseUrl,
        claims: CLAIMS,
        concurrency: CONCURRENCY,
      } satisfies ClaimJob);
    });
  } finally {
    child.kill();
    await store.dispose();
  }
}

/**
 * Code claims per second: the service's claim of one pool code (the statement CodeClaims runs,
 * in a transaction of its own as a reward write has) beside the bare UPDATE ... RETURNING on the
 * driver, on the same database in the same run.
 */
export async function runCodeClaims(
  ctx: BenchContext,
  backends: Backend[],
): Promise<SectionResult> {
  const section = emptySection('Code claims');
  for (const backend of backends) {
    if (backend.unavailable) {
      section.problems.push(`${backend.label} skipped: ${backend.unavailable}`);
      continue;
    }
    const reply = await measure(ctx, backend);
    if ('error' in reply) {
      section.problems.push(`${backend.label}: ${reply.error}`);
      continue;
    }
    section.problems.push(...reply.problems.map((p) => `${backend.label}: ${p}`));
    const postgres = backend.name === 'postgres-redis';
    section.figures.push({
      measurement: 'Code claims',
      figure: `pool codes claimed, ${postgres ? CONCURRENCY : 1} at a time`,
      configuration: backend.label,
      unit: 'claims/s',
      project: reply.servicePerSecond,
      baseline: reply.baselinePerSecond,
      baselineLabel: postgres
        ? `the same UPDATE ... SKIP LOCKED ... RETURNING, bare on pg, ${CONCURRENCY} at a time`
        : 'the same UPDATE ... RETURNING, bare on better-sqlite3, one at a time',
      better: 'higher',
    });
    ctx.log(
      `code claims on ${backend.label}: ${fmt(reply.servicePerSecond)}/s, bare statement ${fmt(reply.baselinePerSecond)}/s`,
    );
  }
  section.notes.push(
    `${CLAIMS} claims per side, each on a pool seeded with ${CLAIMS} codes in a fresh database (migrations run): the service's side is CodeClaims.claim, the statement a reward write runs, in a TypeORM transaction of its own (BEGIN, the UPDATE through the entity's prepared shape, COMMIT), ${CONCURRENCY} at a time; on SQLite the service's connection lock makes them one at a time.`,
    'The baseline runs the same UPDATE ... RETURNING straight on the driver (pg Pool of 10; better-sqlite3 on the service\u2019s own connection), autocommitted: the cost of the statement alone. After each side the bench checks that every claim found a code and that no code went to two claims.',
    'It measures the claim only: the reward row, its history, hooks and emails of a real reward write, and the after-commit low-stock check (one read of at most threshold + 1 ids), are not in it.',
  );
  return section;
}
