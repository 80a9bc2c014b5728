import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { AfterCommit } from './after-commit';
import { dataSourceOptions } from './data-source.options';
import { DatabaseStatements } from './statement-counter';

/**
 * The data source (SQLite or Postgres, from the configuration), work to run after a commit, and
 * the count of statements it sent.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config),
        migrationsRun: config.MIGRATIONS_RUN,
      }),
    }),
  ],
  providers: [
    AfterCommit,
    { provide: DatabaseStatements, inject: [DataSource], useFactory: DatabaseStatements.of },
  ],
  exports: [AfterCommit, DatabaseStatements],
})
export class DatabaseModule {}
