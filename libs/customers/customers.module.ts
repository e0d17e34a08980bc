import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Customer } from './customer.entity';
import { CustomerIdentity } from './customer-identity.entity';
import { CustomersService } from './customers.service';

@Module({
  imports: [TypeOrmModule.forFeature([Customer, CustomerIdentity])],
  providers: [CustomersService],
  exports: [CustomersService],
})
export class CustomersModule {}
