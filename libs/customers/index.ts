export * from './customers.module';
export * from './customers.service';
export * from './customer-resolution';
export * from './customer.entity';
export * from './phone-number';
