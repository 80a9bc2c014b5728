// Errors that mean the database is away for now (connection refused or cut, shutting down,
// pool exhausted), as opposed to a bad query. The API answers these with 503.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  'SQLITE_BUSY',
]);
const UNAVAILABLE_TEXT =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Connection is not established|the database system is (starting up|shutting down)|database is locked/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_TEXT.test(e.message)) return true;
  return e.driverError ? isDatabaseUnavailable(e.driverError) : false;
}

/** Unique-constraint violations on either database. */
export function isUniqueViolation(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; driverError?: unknown; message?: unknown };
  if (
    e.code === '23505' ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
    return true;
  if (typeof e.message === 'string' && /UNIQUE constraint failed/.test(e.message)) return true;
  return e.driverError ? isUniqueViolation(e.driverError) : false;
}
