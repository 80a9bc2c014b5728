import { KeyedMutex } from './keyed-mutex';

describe(KeyedMutex.name, () => {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('runs tasks of one key one at a time, in order', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await pause(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      mutex.run('k', task('a', 20)),
      mutex.run('k', task('b', 1)),
    ]);
    expect(results).toEqual(['a', 'b']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('lets other keys run at the same time and survives a failing task', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const failing = mutex.run('x', async () => {
      await pause(20);
      throw new Error('boom');
    });
    const other = mutex.run('y', async () => void log.push('y'));
    const next = mutex.run('x', async () => void log.push('x after failure'));
    await expect(failing).rejects.toThrow('boom');
    await Promise.all([other, next]);
    expect(log).toEqual(['y', 'x after failure']);
  });
});
