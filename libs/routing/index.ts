export * from './routing.module';
export * from './queues.service';
export * from './routing.service';
export * from './offer-views.service';
export * from './contact-lifecycle.service';
export * from './matcher';
