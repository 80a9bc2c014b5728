import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppLogger } from '../src/common/logging/logging.module';
import { AfterCommit } from '../src/database/after-commit';
import { serializeSqliteConnections } from '../src/database/sqlite-serializer';
import { InProcessJobQueue } from '../src/queue/in-process-job-queue';

// The embedded database is one better-sqlite3 connection shared by the API and the jobs.
describe('SQLite connection serializing', () => {
  let dir: string;
  let ds: DataSource;

  beforeAll(async () => {
    serializeSqliteConnections();
    dir = mkdtempSync(join(tmpdir(), 'rn-sqlite-'));
    ds = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      enableWAL: true,
    });
    await ds.initialize();
    await ds.query('CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await ds.query('INSERT INTO counters (id, n) VALUES (1, 0)');
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const tick = () => new Promise((r) => setTimeout(r, 1));

  it('runs concurrent transactions one after another, losing no update', async () => {
    await Promise.all(
      Array.from({ length: 40 }, () =>
        ds.transaction(async (m) => {
          const [{ n }] = await m.query('SELECT n FROM counters WHERE id = 1');
          await tick();
          await m.query('UPDATE counters SET n = ? WHERE id = 1', [n + 1]);
        }),
      ),
    );
    expect((await ds.query('SELECT n FROM counters WHERE id = 1'))[0].n).toBe(40);
  });

  it('keeps a plain write out of a transaction that rolls back', async () => {
    await ds.query('UPDATE counters SET n = 0 WHERE id = 1');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const failing = ds
      .transaction(async (m) => {
        await m.query('UPDATE counters SET n = 100 WHERE id = 1');
        await held;
        throw new Error('roll back');
      })
      .catch((e: Error) => e.message);
    await tick();
    const plain = ds.query('INSERT INTO counters (id, n) VALUES (2, 7)');
    release();
    expect(await failing).toBe('roll back');
    await plain;
    const rows = await ds.query('SELECT id, n FROM counters ORDER BY id');
    expect(rows).toEqual([
      { id: 1, n: 0 },
      { id: 2, n: 7 },
    ]);
  });

  it('lets work inside a transaction callback join it without waiting on itself', async () => {
    const result = await ds.transaction(async () => {
      // A query through the data source, not the transaction's manager, from inside the callback.
      const [{ n }] = await ds.query('SELECT n FROM counters WHERE id = 2');
      return n;
    });
    expect(result).toBe(7);
  });

  // Another transaction takes the connection, lets `go` start work that an ended transaction set
  // off, then rolls back. Run as part of the ended transaction, that work would skip the wait for
  // the connection, join the other and be rolled back with it.
  async function besideARollback(go: () => void, work: () => Promise<unknown>): Promise<unknown> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const holding = new Promise<void>((r) => (entered = r));
    const failing = ds
      .transaction(async (m) => {
        await m.query('INSERT INTO counters (id, n) VALUES (3, 3)');
        entered();
        await held;
        throw new Error('roll back');
      })
      .catch((e: Error) => e.message);
    await holding;
    go();
    // Until the work is done, or long enough to see that it waits for the connection.
    await Promise.race([work(), new Promise((r) => setTimeout(r, 200))]);
    release();
    expect(await failing).toBe('roll back');
    await work();
    return ds.query('SELECT id, n FROM counters WHERE id > 2 ORDER BY id');
  }

  it('makes work an ended transaction left running wait its turn like any other', async () => {
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    let leftRunning!: Promise<unknown>;
    await ds.transaction(async () => {
      // Started inside the callback, run after it: a promise nobody awaited.
      leftRunning = (async () => {
        await gate;
        await ds.transaction((m) => m.query('INSERT INTO counters (id, n) VALUES (4, 4)'));
      })();
    });
    expect(await besideARollback(go, () => leftRunning)).toEqual([{ id: 4, n: 4 }]);
  });

  it('runs a job queued on a commit as no part of that transaction', async () => {
    await ds.query('DELETE FROM counters WHERE id > 2');
    const logger = { warn: () => undefined, error: () => undefined } as unknown as AppLogger;
    const afterCommit = new AfterCommit(ds, logger);
    const queue = new InProcessJobQueue({ attempts: 1, backoffMs: 10 }, 4, logger);
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    let job!: Promise<unknown>;
    queue.register('sweep-events', () => {
      job = (async () => {
        await gate;
        await ds.transaction((m) => m.query('INSERT INTO counters (id, n) VALUES (5, 5)'));
      })();
      return job;
    });
    try {
      await ds.transaction(async (m) => {
        afterCommit.collect(
          m,
          (items: object[]) =>
            queue.enqueueMany(
              'sweep-events',
              items.map(() => ({ payload: {} })),
            ),
          {},
        );
      });
      expect(await besideARollback(go, () => job)).toEqual([{ id: 5, n: 5 }]);
    } finally {
      await queue.close();
    }
  });
});
