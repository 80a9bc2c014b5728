import { AppError } from '../../common/errors/app-error';

// One answer for wrong, expired and used tokens: which of the three it was helps only a guesser.
export const tokenInvalid = (what: string): AppError =>
  AppError.badRequest(
    'TOKEN_INVALID',
    `This ${what} link is not valid: it may be mistyped, expired or already used. Ask for a new one.`,
  );
