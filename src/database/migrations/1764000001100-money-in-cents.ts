import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col } from '../migration-types';

// [table, decimal column in dollars, its precision, integer column in cents]
const COLUMNS = [
  ['rewards', 'taxableUsd', 18, 'taxableCents'],
  ['participant_tax_years', 'totalUsd', 14, 'totalCents'],
] as const;

/**
 * The taxable part of a reward and the yearly W-9 totals become whole USD cents in bigint
 * columns: integer sums are exact and read back the same from SQLite and Postgres.
 *
 * The dollar columns were decimal(18,2) and decimal(14,2). Postgres kept them at two decimals;
 * SQLite stored what it was given as a float (599.0049, 0.30000000000000004). ROUND(x * 100)
 * is exact for the first and, for the second, gives the cents the service counted in the totals
 * (it rounded each amount to cents before adding it), so a reward and its year still agree.
 */
export class MoneyInCents1764000001100 implements MigrationInterface {
  name = 'MoneyInCents1764000001100';

  async up(runner: QueryRunner): Promise<void> {
    for (const [table, dollars, , cents] of COLUMNS) {
      // Nullable while it is filled: a NOT NULL column added to rows needs a default otherwise.
      await runner.addColumn(table, new TableColumn(col(cents, 'bigint', { isNullable: true })));
      await runner.query(
        `UPDATE "${table}" SET "${cents}" = CAST(ROUND("${dollars}" * 100) AS BIGINT)`,
      );
      await runner.changeColumn(table, cents, new TableColumn(col(cents, 'bigint')));
      await runner.dropColumn(table, dollars);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const [table, dollars, precision, cents] of COLUMNS) {
      await runner.addColumn(
        table,
        new TableColumn(col(dollars, 'decimal', { precision, scale: 2, isNullable: true })),
      );
      await runner.query(`UPDATE "${table}" SET "${dollars}" = "${cents}" / 100.0`);
      await runner.changeColumn(
        table,
        dollars,
        new TableColumn(col(dollars, 'decimal', { precision, scale: 2 })),
      );
      await runner.dropColumn(table, cents);
    }
  }
}
