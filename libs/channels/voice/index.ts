export * from './voice.module';
export * from './voice-calls.service';
export * from './voice-menu';
export * from './voice-provider';
