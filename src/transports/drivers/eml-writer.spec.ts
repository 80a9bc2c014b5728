import { promises as fs } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmlWriter, UnsafeEmlNameError } from './eml-writer';

const raw = Buffer.from(
  'From: a@acme.example\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nHello\r\n',
);

describe(EmlWriter.name, () => {
  let dataDir: string;
  let writer: EmlWriter;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'eml-writer-'));
    writer = new EmlWriter(dataDir);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes <dataDir>/outbox/<programId>/<messageId>.eml and reads it back byte for byte', async () => {
    const path = await writer.write('prog_01HZX', '3f1c2a9e-7b7d-4a51-9d6e-0c1f2b3a4d5e', raw);
    expect(path).toBe(
      join(dataDir, 'outbox', 'prog_01HZX', '3f1c2a9e-7b7d-4a51-9d6e-0c1f2b3a4d5e.eml'),
    );
    expect(await readFile(path)).toEqual(raw);
    expect(await writer.read('prog_01HZX', '3f1c2a9e-7b7d-4a51-9d6e-0c1f2b3a4d5e')).toEqual(raw);
  });

  it('keeps the files readable by their owner only', async () => {
    const path = await writer.write('prog_1', 'msg_1', raw);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'outbox', 'prog_1'))).mode & 0o777).toBe(0o700);
  });

  it('returns null for a message that was never written', async () => {
    expect(await writer.read('prog_1', 'missing')).toBeNull();
  });

  it('replaces the file when the same message is written again, leaving no temporary file', async () => {
    await writer.write('prog_1', 'msg_1', 'first version');
    await writer.write('prog_1', 'msg_1', raw);
    expect(await writer.read('prog_1', 'msg_1')).toEqual(raw);
    expect(await readdir(join(dataDir, 'outbox', 'prog_1'))).toEqual(['msg_1.eml']);
  });

  it('leaves the earlier file whole and no temporary file when a write fails before the rename', async () => {
    await writer.write('prog_1', 'msg_1', 'first version');
    jest
      .spyOn(fs, 'rename')
      .mockRejectedValueOnce(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    await expect(writer.write('prog_1', 'msg_1', raw)).rejects.toThrow('disk full');
    expect((await writer.read('prog_1', 'msg_1'))?.toString()).toBe('first version');
    expect(await readdir(join(dataDir, 'outbox', 'prog_1'))).toEqual(['msg_1.eml']);
  });

  it('never shows a reader a partly written file', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 'a');
    await writer.write('prog_1', 'msg_1', 'first version');
    const writing = writer.write('prog_1', 'msg_1', big);
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add((await writer.read('prog_1', 'msg_1'))?.length ?? -1);
    await writing;
    seen.add((await writer.read('prog_1', 'msg_1'))?.length ?? -1);
    expect([...seen].every((n) => n === 'first version'.length || n === big.length)).toBe(true);
  });

  it.each([
    ['program id', '..', 'msg_1'],
    ['program id', '../other', 'msg_1'],
    ['program id', 'a/b', 'msg_1'],
    ['program id', '', 'msg_1'],
    ['message id', 'prog_1', '../../etc/passwd'],
    ['message id', 'prog_1', '..'],
    ['message id', 'prog_1', 'a..b'],
    ['message id', 'prog_1', '.hidden'],
    ['message id', 'prog_1', 'a\\b'],
    ['message id', 'prog_1', '/abs'],
    ['message id', 'prog_1', 'C:evil'],
    ['message id', 'prog_1', 'nul\u0000byte'],
    ['message id', 'prog_1', '<abc@host.example>'],
    ['message id', 'prog_1', 'x'.repeat(129)],
  ])('refuses a %s such as %j / %j', async (kind, programId, messageId) => {
    await expect(writer.write(programId, messageId, raw)).rejects.toThrow(UnsafeEmlNameError);
    await expect(writer.write(programId, messageId, raw)).rejects.toThrow(kind);
    await expect(writer.read(programId, messageId)).rejects.toMatchObject({
      code: 'EML_NAME_UNSAFE',
    });
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('does not read files outside the outbox through a crafted id', async () => {
    await writeFile(join(dataDir, 'app-secret'), 'secret');
    await expect(writer.read('..', 'app-secret')).rejects.toThrow(UnsafeEmlNameError);
  });
});
