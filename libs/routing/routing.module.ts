import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '@cc/contacts';
import { QueueEntity } from './queue.entity';
import { QueueMember } from './queue-member.entity';
import { ContactOffer } from './contact-offer.entity';
import { QueuesService } from './queues.service';
import { OfferViewsService } from './offer-views.service';
import { ContactLifecycleService } from './contact-lifecycle.service';
import { TransfersService } from './transfers.service';
import { CustomerChannelService } from './customer-channel.service';
import { RoutingLeaderService } from './engine/routing-leader.service';

/** Queues, offers and the contact lifecycle: what the API and the workers both need. */
@Module({
  imports: [TypeOrmModule.forFeature([QueueEntity, QueueMember, ContactOffer]), ContactsModule],
  providers: [QueuesService, OfferViewsService, ContactLifecycleService, TransfersService, CustomerChannelService],
  exports: [QueuesService, OfferViewsService, ContactLifecycleService, TransfersService, CustomerChannelService],
})
export class RoutingModule {}

/** The routing engine itself: runs in worker processes, where one of them leads. */
@Module({
  imports: [RoutingModule],
  providers: [RoutingLeaderService],
  exports: [RoutingLeaderService],
})
export class RoutingEngineModule {}
