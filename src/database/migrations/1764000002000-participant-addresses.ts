import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { col } from '../migration-types';

/**
 * One participant per address in a program (case-insensitive), enforced by the database, and
 * one-time links bound to the address they were sent to. A program that already has two
 * participants with one address cannot be upgraded silently: the migration stops and lists them.
 */
export class ParticipantAddresses1764000002000 implements MigrationInterface {
  name = 'ParticipantAddresses1764000002000';

  async up(runner: QueryRunner): Promise<void> {
    const duplicates: Array<{ programId: string; emailLower: string; n: number | string }> =
      await runner.query(
        'SELECT "programId", "emailLower", COUNT(*) AS n FROM "participants" ' +
          'GROUP BY "programId", "emailLower" HAVING COUNT(*) > 1 ORDER BY "programId", "emailLower"',
      );
    if (duplicates.length > 0) {
      const lines = duplicates
        .slice(0, 50)
        .map((d) => `  program ${d.programId}: ${d.emailLower} (${Number(d.n)} participants)`);
      throw new Error(
        `${duplicates.length} address(es) belong to more than one participant of a program, which this version refuses ` +
          '(password reset and sign-in must know whom an address means). Give each of these participants ' +
          'its own address (PUT /v1/participants/:id) or delete the extra ones, then start again:\n' +
          lines.join('\n'),
      );
    }
    await runner.dropIndex('participants', 'IDX_participants_program_email');
    await runner.createIndex(
      'participants',
      new TableIndex({
        name: 'UQ_participants_program_email',
        columnNames: ['programId', 'emailLower'],
        isUnique: true,
      }),
    );
    // Links issued before this version: bound to no address, and voided by the check that needs one.
    await runner.addColumn(
      'participant_tokens',
      new TableColumn(col('emailLower', 'varchar', { length: '320', default: "''" })),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('participant_tokens', 'emailLower');
    await runner.dropIndex('participants', 'UQ_participants_program_email');
    await runner.createIndex(
      'participants',
      new TableIndex({
        name: 'IDX_participants_program_email',
        columnNames: ['programId', 'emailLower'],
      }),
    );
  }
}
