// Column types that differ between the two supported databases. Decided from DATABASE_URL when
// entities load; a process talks to one database for its whole life.
const isPostgres = (): boolean => /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');

// Typed as one literal so it fits TypeORM's @Column overloads; the value is either.
export const TIMESTAMP = (isPostgres() ? 'timestamptz' : 'datetime') as 'datetime';

/** Decimal columns come back from pg as strings; keep them numbers in the app. */
export const decimalTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : Number(value),
};

/** Bigint columns (money in cents) come back from pg as strings; cents stay below 2^53. */
export const bigintTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? value : Number(value),
};
