import {
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { REAL_WINDOWS } from './send-windows';

interface WindowSettings {
  NODE_ENV?: string;
  SEND_LIMIT_MINUTE_MS: number;
  SEND_LIMIT_DAY_MS: number;
}

/**
 * The windows of the sending limits may be shortened so tests need not wait real minutes, but a
 * day must hold a whole number of minute windows (both are aligned on the epoch, so a minute
 * window never straddles two days), and production runs on real ones: a shorter window there
 * would let a provider's real limit be overrun.
 */
@ValidatorConstraint({ name: 'sendLimitWindows' })
export class SendLimitWindowsConstraint implements ValidatorConstraintInterface {
  validate(_: unknown, args: ValidationArguments): boolean {
    return windowProblem(args.object as WindowSettings) === null;
  }

  defaultMessage(args: ValidationArguments): string {
    return windowProblem(args.object as WindowSettings) ?? '';
  }
}

function windowProblem(c: WindowSettings): string | null {
  const minute = c.SEND_LIMIT_MINUTE_MS;
  const day = c.SEND_LIMIT_DAY_MS;
  if (!Number.isInteger(minute) || !Number.isInteger(day)) return null;
  if (day % minute !== 0)
    return `SEND_LIMIT_DAY_MS must be a whole multiple of SEND_LIMIT_MINUTE_MS (${minute})`;
  if (
    c.NODE_ENV === 'production' &&
    (minute !== REAL_WINDOWS.minuteMs || day !== REAL_WINDOWS.dayMs)
  )
    return `SEND_LIMIT_MINUTE_MS and SEND_LIMIT_DAY_MS shorten the sending-limit windows for tests only; in production leave them unset (${REAL_WINDOWS.minuteMs} and ${REAL_WINDOWS.dayMs})`;
  return null;
}
