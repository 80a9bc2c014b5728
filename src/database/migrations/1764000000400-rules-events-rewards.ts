import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestamps, timestampType } from '../migration-types';

export class RulesEventsRewards1764000000400 implements MigrationInterface {
  name = 'RulesEventsRewards1764000000400';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'rules',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('name', 'varchar', { length: '200' }),
          col('event', 'varchar', { length: '100' }),
          col('conditions', 'text', { isNullable: true }),
          col('actions', 'text'),
          col('enabled', 'boolean'),
          col('priority', 'integer'),
          col('version', 'integer'),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'rules',
      new TableIndex({
        name: 'IDX_rules_program_event_enabled',
        columnNames: ['programId', 'event', 'enabled'],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'rule_revisions',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('revision', 'integer'),
          col('updatedAt', ts),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'events',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('type', 'varchar', { length: '100' }),
          col('participantId', 'varchar', { length: '200' }),
          col('referrerId', 'varchar', { length: '200', isNullable: true }),
          col('data', 'text'),
          col('occurredAt', ts),
          col('idempotencyKey', 'varchar', { length: '255', isNullable: true }),
          col('raw', 'text'),
          col('status', 'varchar', { length: '16' }),
          col('results', 'text', { isNullable: true }),
          col('error', 'text', { isNullable: true }),
          col('processedAt', ts, { isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    // Both databases treat NULLs as distinct here, so events without a key never collide.
    await runner.createIndex(
      'events',
      new TableIndex({
        name: 'UQ_events_program_idempotency',
        columnNames: ['programId', 'idempotencyKey'],
        isUnique: true,
      }),
    );
    await runner.createIndex(
      'events',
      new TableIndex({
        name: 'IDX_events_program_created',
        columnNames: ['programId', 'createdAt'],
      }),
    );
    await runner.createIndex(
      'events',
      new TableIndex({ name: 'IDX_events_status_created', columnNames: ['status', 'createdAt'] }),
    );
    await runner.createTable(
      new Table({
        name: 'rewards',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('participantId', 'varchar', { length: '200' }),
          col('ruleId', 'varchar', { length: '36', isNullable: true }),
          col('ruleVersion', 'integer', { isNullable: true }),
          col('eventId', 'varchar', { length: '36', isNullable: true }),
          col('effectKey', 'varchar', { length: '64', isNullable: true }),
          col('kind', 'varchar', { length: '16' }),
          col('amount', 'decimal', { precision: 18, scale: 4 }),
          col('currency', 'varchar', { length: '3' }),
          col('taxableUsd', 'decimal', { precision: 18, scale: 2 }),
          col('status', 'varchar', { length: '16' }),
          col('paidAt', ts, { isNullable: true }),
          col('cancelledAt', ts, { isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'rewards',
      new TableIndex({ name: 'UQ_rewards_effect_key', columnNames: ['effectKey'], isUnique: true }),
    );
    await runner.createIndex(
      'rewards',
      new TableIndex({
        name: 'IDX_rewards_program_participant_created',
        columnNames: ['programId', 'participantId', 'createdAt'],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('rewards');
    await runner.dropTable('events');
    await runner.dropTable('rule_revisions');
    await runner.dropTable('rules');
  }
}
