import type { Repository } from 'typeorm';
import type { TemplateOverrideEntity } from './template-override.entity';
import { renderVersion, TemplateOverrideStore } from './template-override.store';

const row = (
  locale: string,
  version = 1,
  subject = `Subject ${locale}`,
): TemplateOverrideEntity => ({
  programId: 'p1',
  key: 'verification',
  locale,
  subject,
  html: '<p>x</p>',
  text: null,
  version,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)),
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(TemplateOverrideStore.name, () => {
  let rows: TemplateOverrideEntity[];
  let find: jest.Mock;
  let store: TemplateOverrideStore;

  beforeEach(() => {
    rows = [row('es'), row('pt-BR')];
    find = jest.fn(async () => rows);
    store = new TemplateOverrideStore({ find } as unknown as Repository<TemplateOverrideEntity>);
  });

  it('reads every locale of a key with one query and serves later renders from memory', async () => {
    expect(await store.getOverride('p1', 'verification', 'fr')).toBeUndefined();
    expect((await store.getOverride('p1', 'verification', 'es'))?.subject).toBe('Subject es');
    expect((await store.getOverride('p1', 'verification', 'pt-BR'))?.version).toBe(
      renderVersion(rows[1]),
    );
    expect(find).toHaveBeenCalledTimes(1);
    expect(find).toHaveBeenCalledWith({ where: { programId: 'p1', key: 'verification' } });
  });

  it('shares one query between renders that ask at the same time', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => store.getOverride('p1', 'verification', 'es')),
    );
    expect(results.map((r) => r?.subject)).toEqual(['Subject es', 'Subject es', 'Subject es']);
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('reads again once the entry is older than the TTL', async () => {
    store.ttlMs = 0;
    await store.getOverride('p1', 'verification', 'es');
    rows = [row('es', 2, 'Edited elsewhere')];
    expect((await store.getOverride('p1', 'verification', 'es'))?.subject).toBe('Edited elsewhere');
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('reads again after invalidate', async () => {
    await store.getOverride('p1', 'verification', 'es');
    rows = [];
    store.invalidate('p1', 'verification');
    expect(await store.getOverride('p1', 'verification', 'es')).toBeUndefined();
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('does not keep what a read that started before an invalidate returned', async () => {
    const slow = deferred<TemplateOverrideEntity[]>();
    find.mockImplementationOnce(() => slow.promise);
    const early = store.getOverride('p1', 'verification', 'es');
    store.invalidate('p1', 'verification');
    rows = [row('es', 2, 'New')];
    expect((await store.getOverride('p1', 'verification', 'es'))?.subject).toBe('New');
    slow.resolve([row('es', 1, 'Old')]);
    expect((await early)?.subject).toBe('Old');
    expect((await store.getOverride('p1', 'verification', 'es'))?.subject).toBe('New');
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed read', async () => {
    find.mockRejectedValueOnce(new Error('connection lost'));
    await expect(store.getOverride('p1', 'verification', 'es')).rejects.toThrow('connection lost');
    expect((await store.getOverride('p1', 'verification', 'es'))?.subject).toBe('Subject es');
  });

  it('keeps keys of different programs apart', async () => {
    await store.getOverride('p1', 'verification', 'es');
    await store.getOverride('p2', 'verification', 'es');
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('gives a re-created override a version of its own', () => {
    const first = row('es', 1);
    const recreated = { ...row('es', 1), updatedAt: new Date(first.updatedAt.getTime() + 5) };
    expect(renderVersion(recreated)).not.toBe(renderVersion(first));
  });
});
