import { Module } from '@nestjs/common';
import { ContactsModule } from '@cc/contacts';
import { SmsModule } from '@cc/channels/sms';
import { EmailModule } from '@cc/channels/email';
import { OutboundDeliveryService } from './outbound-delivery.service';

/** Replies and notices to customers on SMS and email, sent by the outbound queue's worker. */
@Module({
  imports: [ContactsModule, SmsModule, EmailModule],
  providers: [OutboundDeliveryService],
  exports: [OutboundDeliveryService],
})
export class OutboundModule {}
