export * from './calendar-definition';
export * from './business-hours';
