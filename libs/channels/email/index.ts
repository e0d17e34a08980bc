export * from './email.module';
export * from './email-inbound.service';
export * from './smtp-ingress.service';
export * from './smtp-email.sender';
export * from './mailboxes';
export * from './parsing';
