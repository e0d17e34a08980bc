import { Module } from '@nestjs/common';
import { ContactsModule } from '@cc/contacts';
import { CustomersModule } from '@cc/customers';
import { RoutingModule } from '@cc/routing';
import { TwilioSmsClient } from './twilio-sms.client';
import { SmsInboundService } from './sms-inbound.service';
import { SmsComplianceService } from './sms-compliance.service';

/** The SMS channel: Twilio and generic webhooks in, Twilio's REST API out, carrier keywords. */
@Module({
  imports: [ContactsModule, CustomersModule, RoutingModule],
  providers: [TwilioSmsClient, SmsInboundService, SmsComplianceService],
  exports: [TwilioSmsClient, SmsInboundService, SmsComplianceService],
})
export class SmsModule {}
