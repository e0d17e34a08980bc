export * from './domain';
export * from './errors';
export * from './queues';
export * from './socket-events';
export * from './routing-signals';
