import type { DataSourceOptions } from 'typeorm';
import { Foundation1795900000000 } from './migrations/1795900000000-foundation';
import { RoutingEngine1795900100000 } from './migrations/1795900100000-routing-engine';
import { AfterHoursMessage1795900200000 } from './migrations/1795900200000-after-hours-message';
import { DropContactPriority1795900300000 } from './migrations/1795900300000-drop-contact-priority';
import { SmsEmailChannels1795900400000 } from './migrations/1795900400000-sms-email-channels';
import { SupervisionAndHours1795900500000 } from './migrations/1795900500000-supervision-and-hours';
import { Voice1795900600000 } from './migrations/1795900600000-voice';

/** Every migration, in order. The app and the migration CLI share this list. */
export const MIGRATIONS = [
  Foundation1795900000000,
  RoutingEngine1795900100000,
  AfterHoursMessage1795900200000,
  DropContactPriority1795900300000,
  SmsEmailChannels1795900400000,
  SupervisionAndHours1795900500000,
  Voice1795900600000,
];

/** One set of options for the app's DataSource and the migration CLI, so they never disagree. */
export function dataSourceOptions(databaseUrl: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    extra: {
      max: poolSize,
      application_name: 'contact-center',
      // The hot path's prepared statements (preparedQuery) take their rows as arrays. PostgreSQL
      // prices a generic plan for 10 array elements against a custom plan for the exact count, finds
      // the custom one cheaper, and so planned several of them again on every call (about a sixth of
      // the database's time per contact). Their plans are the same shape at any count: index lookups
      // per element. Only named statements are affected; every other query is planned per call anyway.
      options: '-c plan_cache_mode=force_generic_plan',
    },
  };
}
