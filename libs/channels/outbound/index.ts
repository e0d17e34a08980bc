export * from './outbound.module';
export * from './outbound-delivery.service';
