import { ParseUUIDPipe, ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DomainError, ErrorCode } from '@cc/shared';

function describe(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...describe(e.children ?? [], field)];
  });
}

function validationError(errors: ValidationError[]): DomainError {
  const details = describe(errors);
  const summary = details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ');
  return new DomainError(ErrorCode.ValidationFailed, summary || 'invalid input', details);
}

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true } as const;

/** The global pipe for REST bodies and queries: unknown fields are refused, types converted, errors explained. */
export const restValidationPipe = () =>
  new ValidationPipe({ ...OPTIONS, transform: true, exceptionFactory: (errors) => validationError(errors) });

/** For `@Param('id', uuidParam())`: a malformed id is a 400 that names the parameter. */
export const uuidParam = (name = 'id') =>
  new ParseUUIDPipe({ exceptionFactory: () => new DomainError(ErrorCode.ValidationFailed, `${name}: must be a UUID`) });

/** Validates a socket event payload against a DTO class; throws a validation_failed DomainError. */
export function parsePayload<T extends object>(cls: new () => T, payload: unknown): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new DomainError(ErrorCode.ValidationFailed, 'payload must be an object');
  }
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, OPTIONS);
  if (errors.length > 0) throw validationError(errors);
  return instance;
}
