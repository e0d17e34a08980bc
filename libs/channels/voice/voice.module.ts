import { Module } from '@nestjs/common';
import { ContactsModule } from '@cc/contacts';
import { RoutingModule } from '@cc/routing';
import { SmsModule } from '@cc/channels/sms';
import { VoiceCallsService } from './voice-calls.service';
import { TwilioVoiceProvider, VOICE_PROVIDER } from './voice-provider';

/** The voice channel: Twilio Programmable Voice webhooks and TwiML in, its REST API to ring agents and move calls. */
@Module({
  imports: [ContactsModule, RoutingModule, SmsModule],
  providers: [VoiceCallsService, { provide: VOICE_PROVIDER, useClass: TwilioVoiceProvider }],
  exports: [VoiceCallsService],
})
export class VoiceModule {}
