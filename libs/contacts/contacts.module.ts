import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '@cc/customers';
import { Contact } from './contact.entity';
import { Message } from './message.entity';
import { ContactEvent } from './contact-event.entity';
import { InboundService } from './inbound.service';
import { ContactsQueryService } from './contacts-query.service';
import { DeliveryService } from './delivery.service';

@Module({
  imports: [TypeOrmModule.forFeature([Contact, Message, ContactEvent]), CustomersModule],
  providers: [InboundService, ContactsQueryService, DeliveryService],
  exports: [InboundService, ContactsQueryService, DeliveryService],
})
export class ContactsModule {}
