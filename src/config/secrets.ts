import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Returns the secret kept in DATA_DIR under `name`, creating it (mode 0600) on first start,
 * so the embedded setup needs no configuration and keeps the same keys across restarts.
 */
export function ensureSecretFile(
  dataDir: string,
  name: string,
  prefix = '',
): { value: string; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, name);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), path, created: false };
  const value = prefix + randomBytes(32).toString('base64url');
  writeFileSync(path, value + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { value, path, created: true };
}
