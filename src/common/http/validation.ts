import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, ErrorDetail } from '../errors/app-error';
import { detailCodeOf } from '../errors/detail-codes';

function flatten(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own: ErrorDetail[] = e.constraints ? [detail(field, e)] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

// One detail per field in the documented vocabulary (VALIDATION_DETAIL_CODES), whichever check
// refused it first. The value is read to tell a missing field from a wrong one, never echoed.
function detail(field: string, e: ValidationError): ErrorDetail {
  const constraints = e.constraints ?? {};
  const [check] = Object.keys(constraints);
  if (check === 'whitelistValidation')
    return { field, code: 'UNKNOWN_FIELD', message: `${field} is not a known field; remove it.` };
  if (e.value === undefined || e.value === null)
    return { field, code: 'REQUIRED', message: `${field} is required.` };
  return {
    field,
    code: detailCodeOf(check, constraints[check]),
    message: Object.values(constraints).join('; '),
  };
}

/** One detail per field, so a form can put each message beside its input. */
export function validationFailed(errors: ValidationError[]): AppError {
  const details = flatten(errors);
  const fields = [...new Set(details.map((d) => d.field))].join(', ');
  return new AppError(
    HttpStatus.BAD_REQUEST,
    'VALIDATION_FAILED',
    `The request has invalid fields: ${fields}.`,
    details,
  );
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // The value tells a missing field from a wrong one; it never reaches the answer.
    validationError: { target: false, value: true },
    exceptionFactory: validationFailed,
  });
}
