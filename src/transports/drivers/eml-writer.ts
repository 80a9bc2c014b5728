import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export class UnsafeEmlNameError extends Error {
  readonly code = 'EML_NAME_UNSAFE';
  constructor(kind: string, value: string) {
    super(`${kind} ${JSON.stringify(value.slice(0, 80))} cannot be used in a file name`);
    this.name = 'UnsafeEmlNameError';
  }
}

// Ids name files as they are: rejecting, not cleaning, keeps two ids from sharing one file.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function assertSafeName(kind: string, value: string): void {
  if (!SAFE_NAME.test(value) || value.includes('..')) throw new UnsafeEmlNameError(kind, value);
}

/**
 * The built-in sender's embedded mode: each raw RFC 5322 message becomes
 * `<dataDir>/outbox/<programId>/<messageId>.eml`, readable through the message log.
 */
export class EmlWriter {
  readonly outboxDir: string;

  constructor(dataDir: string) {
    this.outboxDir = resolve(dataDir, 'outbox');
  }

  pathFor(programId: string, messageId: string): string {
    assertSafeName('program id', programId);
    assertSafeName('message id', messageId);
    const path = join(this.outboxDir, programId, `${messageId}.eml`);
    if (!path.startsWith(this.outboxDir + sep))
      throw new UnsafeEmlNameError('message id', messageId);
    return path;
  }

  /**
   * Writes the message atomically: a reader sees the whole file or none, and a retry of the
   * same message replaces it. Returns the file's path.
   */
  async write(programId: string, messageId: string, raw: Buffer | string): Promise<string> {
    const path = this.pathFor(programId, messageId);
    const dir = join(this.outboxDir, programId);
    // Messages hold personal data and one-time links: owner-only.
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${messageId}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(raw);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, path);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return path;
  }

  /** The raw message, or null when none was written. */
  async read(programId: string, messageId: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.pathFor(programId, messageId));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
}
