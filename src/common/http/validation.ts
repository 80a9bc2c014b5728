import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, ErrorDetail } from '../errors/app-error';

function flatten(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    // A field left out fails every check of its value ("must be a string", a length): the one
    // thing to say is that it is required.
    const missing = e.value === undefined && e.constraints && !e.constraints.whitelistValidation;
    const own: ErrorDetail[] = missing
      ? [{ field, code: 'isDefined', message: `${field} is required.` }]
      : e.constraints
        ? [
            {
              field,
              code: Object.keys(e.constraints)[0],
              message: Object.values(e.constraints).join('; '),
            },
          ]
        : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** One detail per field, so a form can put each message beside its input. */
export function validationFailed(errors: ValidationError[]): AppError {
  const details = flatten(errors).map((d) =>
    d.code === 'whitelistValidation'
      ? { ...d, code: 'UNKNOWN_FIELD', message: `${d.field} is not a known field; remove it.` }
      : d,
  );
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
    // The value is read only to tell a missing field from a wrong one; no detail repeats it.
    validationError: { target: false, value: true },
    exceptionFactory: validationFailed,
  });
}
