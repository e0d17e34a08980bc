import { Injectable, Logger } from '@nestjs/common';
import type { Channel, WebchatServerEvents } from '@cc/shared';
import { RealtimeService } from '@cc/platform';

type CustomerEvent = 'message' | 'typing' | 'conversation:state';

/**
 * Reaches the customer on the channel their contact came through. Web chat: the visitor's sockets.
 * The SMS and email adapters plug in here.
 */
@Injectable()
export class CustomerChannelService {
  private readonly logger = new Logger(CustomerChannelService.name);

  constructor(private readonly realtime: RealtimeService) {}

  async send<E extends CustomerEvent>(contact: { channel: Channel; address: string }, event: E, payload: Parameters<WebchatServerEvents[E]>[0]): Promise<void> {
    if (contact.channel !== 'chat') {
      this.logger.warn(`no outbound adapter for ${contact.channel} yet; ${event} not delivered`);
      return;
    }
    // the event map ties each event to its payload; TypeScript cannot follow that through the generic E
    const emit = this.realtime.toVisitor.bind(this.realtime) as (visitorId: string, e: E, p: typeof payload) => Promise<void>;
    await emit(contact.address, event, payload);
  }
}
