import { Injectable } from '@nestjs/common';
import { SecretBox, SecretBoxError } from './secret-box';
import { AppError } from '../errors/app-error';
import { AppConfig, previousSecrets } from '../../config/app.config';

/**
 * Seals SMTP/IMAP passwords, DKIM keys and one-time links at rest, each bound to its program:
 * always under APP_SECRET, while what was sealed under an earlier one in APP_SECRET_PREVIOUS
 * still opens until it is sealed again (`npm run secrets:reseal`).
 */
@Injectable()
export class IntegrationSecrets {
  private readonly box: SecretBox;

  // Typed as the class, not a Pick of it: Nest injects by the parameter's runtime type.
  constructor(config: AppConfig) {
    if (!config.APP_SECRET)
      throw new Error('APP_SECRET is needed to store integration credentials');
    this.box = new SecretBox(config.APP_SECRET, previousSecrets(config));
  }

  seal(programId: string, value: string): string {
    return this.box.seal(value, programId);
  }

  /** Throws a 422 AppError (SECRET_KEY_UNKNOWN, ...) when the value cannot be opened, e.g. after APP_SECRET changed. */
  open(programId: string, sealed: string): string {
    try {
      return this.box.open(sealed, programId);
    } catch (err) {
      if (err instanceof SecretBoxError) throw AppError.unprocessable(err.code, err.message);
      throw err;
    }
  }

  /** True when the value was not sealed under the current APP_SECRET. */
  needsReseal(sealed: string): boolean {
    return this.box.needsReseal(sealed);
  }

  /** The same value sealed under the current APP_SECRET; throws as `open` does. */
  reseal(programId: string, sealed: string): string {
    return this.seal(programId, this.open(programId, sealed));
  }
}
