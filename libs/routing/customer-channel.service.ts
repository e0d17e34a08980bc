import { Injectable } from '@nestjs/common';
import type { Channel, WebchatServerEvents } from '@cc/shared';
import { JobsService, RealtimeService } from '@cc/platform';

type CustomerEvent = 'message' | 'typing' | 'conversation:state';

/**
 * Reaches the customer on the channel their contact came through. Web chat: the visitor's sockets,
 * with every event. SMS and email: only messages reach the customer; each stored outbound message
 * is handed to the outbound queue, whose worker sends it through the channel's provider and
 * retries. Typing and state changes have nothing to carry them there. Voice: an accepted call is
 * bridged to the agent's phone.
 */
@Injectable()
export class CustomerChannelService {
  constructor(
    private readonly realtime: RealtimeService,
    private readonly jobs: JobsService,
  ) {}

  async send<E extends CustomerEvent>(contact: { channel: Channel; address: string }, event: E, payload: Parameters<WebchatServerEvents[E]>[0]): Promise<void> {
    if (contact.channel === 'chat') {
      // the event map ties each event to its payload; TypeScript cannot follow that through the generic E
      const emit = this.realtime.toVisitor.bind(this.realtime) as (visitorId: string, e: E, p: typeof payload) => Promise<void>;
      await emit(contact.address, event, payload);
      return;
    }
    if (contact.channel === 'voice') {
      // an agent took the call: their phone is rung and bridged to the caller by the outbound worker
      const state = payload as Parameters<WebchatServerEvents['conversation:state']>[0];
      if (event === 'conversation:state' && state.state === 'active') await this.jobs.enqueue('voice.bridge', { contactId: state.contactId });
      // back to a queue (cold transfer, requeue): the customer returns to the hold loop
      if (event === 'conversation:state' && state.state === 'queued') await this.jobs.enqueue('voice.requeued', { contactId: state.contactId });
      // the agent ended the conversation: the call is hung up
      if (event === 'conversation:state' && state.state === 'wrap_up') await this.jobs.enqueue('voice.hangup', { contactId: state.contactId });
      return;
    }
    if (event !== 'message') return;
    const message = payload as Parameters<WebchatServerEvents['message']>[0];
    // a message stored for delivery carries a status; the sweep re-enqueues it if this enqueue is lost
    if (message.direction === 'outbound' && message.delivery) await this.jobs.enqueue('outbound.deliver', { messageId: message.id });
  }
}
