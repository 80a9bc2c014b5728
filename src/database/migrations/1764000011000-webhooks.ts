import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestampType } from '../migration-types';

/** Webhook endpoints of a program and the deliveries of events to them. */
export class Webhooks1764000011000 implements MigrationInterface {
  name = 'Webhooks1764000011000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('url', 'varchar', { length: '2048' }),
          col('description', 'varchar', { length: '500', isNullable: true }),
          col('events', 'text'),
          col('sealedSecret', 'text'),
          col('sealedPreviousSecret', 'text', { isNullable: true }),
          col('previousSecretExpiresAt', ts, { isNullable: true }),
          col('status', 'varchar', { length: '16' }),
          col('disabledReason', 'varchar', { length: '500', isNullable: true }),
          col('failingSince', ts, { isNullable: true }),
          col('createdAt', ts),
          col('updatedAt', ts),
        ],
        indices: [
          new TableIndex({
            name: 'IDX_webhook_endpoints_program_created',
            columnNames: ['programId', 'createdAt'],
          }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('endpointId', 'varchar', { length: '36' }),
          col('eventType', 'varchar', { length: '64' }),
          col('dedupeKey', 'varchar', { length: '300' }),
          col('payload', 'text'),
          col('status', 'varchar', { length: '16' }),
          col('attempts', 'integer'),
          col('nextAttemptAt', ts, { isNullable: true }),
          col('lockedUntil', ts, { isNullable: true }),
          col('giveUpAt', ts),
          col('lastStatusCode', 'integer', { isNullable: true }),
          col('lastError', 'text', { isNullable: true }),
          col('attemptLog', 'text'),
          col('deliveredAt', ts, { isNullable: true }),
          col('createdAt', ts),
          col('updatedAt', ts),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_webhook_deliveries_endpoint_dedupe',
            columnNames: ['endpointId', 'dedupeKey'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_webhook_deliveries_endpoint_created',
            columnNames: ['endpointId', 'createdAt'],
          }),
          new TableIndex({
            name: 'IDX_webhook_deliveries_status_next',
            columnNames: ['status', 'nextAttemptAt'],
          }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('webhook_deliveries');
    await runner.dropTable('webhook_endpoints');
  }
}
