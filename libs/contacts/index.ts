export * from './contacts.module';
export * from './inbound.service';
export * from './contacts-query.service';
export * from './contact-events';
export * from './message-view';
export * from './delivery.service';
