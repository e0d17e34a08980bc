export * from './webchat.module';
export * from './webchat.service';
