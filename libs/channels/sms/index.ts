export * from './sms.module';
export * from './twilio-sms.client';
export * from './sms-inbound.service';
export * from './sms-compliance.service';
export * from './sms-keywords';
