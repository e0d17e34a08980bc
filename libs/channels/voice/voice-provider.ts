import { Injectable } from '@nestjs/common';
import { TwilioSmsClient } from '@cc/channels/sms';

/**
 * What the call flow asks of a telephony provider, by call leg: Twilio's REST API today; a self-hosted
 * PBX (Asterisk ARI) can implement the same without touching routing or the flow. Instructions and
 * URLs point at our own voice webhooks, which answer in the provider's markup.
 */
export interface VoiceProvider {
  /** Rings a number, softphone or SIP address; answered, the leg fetches `answerUrl`. Answers the new leg's id. */
  call(p: { to: string; from: string; answerUrl: string; statusUrl: string; ringSeconds: number }): Promise<string>;
  /** Moves a live leg to the instructions at `url` (the conference, the hold loop). */
  redirect(legId: string, url: string): Promise<void>;
  /** Replaces a live leg's instructions with these (hold music, an announcement). */
  instruct(legId: string, instructions: string): Promise<void>;
  hangUp(legId: string): Promise<void>;
}

export const VOICE_PROVIDER = Symbol('VOICE_PROVIDER');

/** Twilio Programmable Voice: legs are calls, moved by updating them through the REST API. */
@Injectable()
export class TwilioVoiceProvider implements VoiceProvider {
  constructor(private readonly twilio: TwilioSmsClient) {}

  async call(p: { to: string; from: string; answerUrl: string; statusUrl: string; ringSeconds: number }): Promise<string> {
    const leg = await this.twilio.api().calls.create({
      to: p.to,
      from: p.from,
      url: p.answerUrl,
      statusCallback: p.statusUrl,
      statusCallbackEvent: ['answered', 'completed'],
      timeout: p.ringSeconds,
    });
    return leg.sid;
  }

  async redirect(legId: string, url: string): Promise<void> {
    await this.twilio.api().calls(legId).update({ url, method: 'POST' });
  }

  async instruct(legId: string, instructions: string): Promise<void> {
    await this.twilio.api().calls(legId).update({ twiml: instructions });
  }

  async hangUp(legId: string): Promise<void> {
    await this.twilio.api().calls(legId).update({ status: 'completed' });
  }
}
