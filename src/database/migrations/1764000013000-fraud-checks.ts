import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { col } from '../migration-types';

/**
 * Fraud checks: an event keeps the context it was sent with (IP, user agent, device), so later
 * checks can compare a referrer's earlier IPs and devices; a reward keeps the verdict of the
 * checks. The index finds a person's own events.
 */
export class FraudChecks1764000013000 implements MigrationInterface {
  name = 'FraudChecks1764000013000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn('events', new TableColumn(col('context', 'text', { isNullable: true })));
    await runner.createIndex(
      'events',
      new TableIndex({
        name: 'IDX_events_program_participant_created',
        columnNames: ['programId', 'participantId', 'createdAt'],
      }),
    );
    await runner.addColumn('rewards', new TableColumn(col('fraud', 'text', { isNullable: true })));
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('rewards', 'fraud');
    await runner.dropIndex('events', 'IDX_events_program_participant_created');
    await runner.dropColumn('events', 'context');
  }
}
