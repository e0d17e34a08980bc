export * from './supervision.module';
export * from './interventions.service';
export * from './live-stats.service';
export * from './reports.service';
export * from './calendars.service';
export * from './metrics';
