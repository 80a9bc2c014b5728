import { Injectable } from '@nestjs/common';
import { SecretBox, SecretBoxError } from './secret-box';
import { AppError } from '../errors/app-error';
import { AppConfig } from '../../config/app.config';

/** Seals SMTP/IMAP passwords and DKIM keys at rest, each bound to its program. */
@Injectable()
export class IntegrationSecrets {
  private readonly box: SecretBox;

  constructor(config: AppConfig) {
    if (!config.APP_SECRET)
      throw new Error('APP_SECRET is needed to store integration credentials');
    this.box = new SecretBox(config.APP_SECRET);
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
}
