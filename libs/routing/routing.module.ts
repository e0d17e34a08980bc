import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '@cc/customers';
import { ContactsModule } from '@cc/contacts';
import { QueueEntity } from './queue.entity';
import { QueueMember } from './queue-member.entity';
import { ContactOffer } from './contact-offer.entity';
import { QueuesService } from './queues.service';
import { MATCHER } from './matcher';
import { SqlMatcher } from './sql-matcher';
import { RoutingService } from './routing.service';
import { OfferViewsService } from './offer-views.service';
import { ContactLifecycleService } from './contact-lifecycle.service';

@Module({
  imports: [TypeOrmModule.forFeature([QueueEntity, QueueMember, ContactOffer]), CustomersModule, ContactsModule],
  providers: [QueuesService, { provide: MATCHER, useClass: SqlMatcher }, RoutingService, OfferViewsService, ContactLifecycleService],
  exports: [QueuesService, RoutingService, OfferViewsService, ContactLifecycleService],
})
export class RoutingModule {}
