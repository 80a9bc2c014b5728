import type { AppConfig } from '../../config/app.config';
import { AppError } from '../errors/app-error';
import { IntegrationSecrets } from './integration-secrets';

const A = 'a-secret-of-the-first-year-0123456789';
const B = 'b-secret-of-the-second-year-0123456789';
const C = 'c-secret-of-the-third-year-01234567890';

function openError(secrets: IntegrationSecrets, sealed: string): AppError {
  try {
    secrets.open('prog_1', sealed);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected open() to throw');
}

const secretsOf = (config: Partial<AppConfig>) => new IntegrationSecrets(config as AppConfig);

describe(IntegrationSecrets.name, () => {
  it('opens values sealed under every secret of APP_SECRET_PREVIOUS, a comma-separated list', () => {
    const fromA = secretsOf({ APP_SECRET: A }).seal('prog_1', 'password A');
    const fromB = secretsOf({ APP_SECRET: B }).seal('prog_1', 'password B');
    const rotated = secretsOf({ APP_SECRET: C, APP_SECRET_PREVIOUS: ` ${A} ,${B},` });
    expect(rotated.open('prog_1', fromA)).toBe('password A');
    expect(rotated.open('prog_1', fromB)).toBe('password B');
  });

  it('seals under APP_SECRET and re-seals an old value so that APP_SECRET alone opens it', () => {
    const fromA = secretsOf({ APP_SECRET: A }).seal('prog_1', 'password');
    const rotated = secretsOf({ APP_SECRET: B, APP_SECRET_PREVIOUS: A });
    expect(rotated.needsReseal(fromA)).toBe(true);
    const resealed = rotated.reseal('prog_1', fromA);
    expect(resealed).not.toContain('password');
    expect(rotated.needsReseal(resealed)).toBe(false);
    expect(rotated.needsReseal(rotated.seal('prog_1', 'new'))).toBe(false);
    expect(secretsOf({ APP_SECRET: B }).open('prog_1', resealed)).toBe('password');
  });

  it('answers 422 SECRET_KEY_UNKNOWN for a value of a secret it was not given, as before', () => {
    const fromA = secretsOf({ APP_SECRET: A }).seal('prog_1', 'password');
    for (const secrets of [
      secretsOf({ APP_SECRET: B }),
      secretsOf({ APP_SECRET: B, APP_SECRET_PREVIOUS: C }),
    ]) {
      const err = openError(secrets, fromA);
      expect(err.getStatus()).toBe(422);
      expect(err.code).toBe('SECRET_KEY_UNKNOWN');
      expect(err.message).not.toContain('password');
      expect(() => secrets.reseal('prog_1', fromA)).toThrow(AppError);
    }
  });
});
