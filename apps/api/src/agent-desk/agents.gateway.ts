import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { type AgentProfile, AgentsService } from '@cc/agents';
import { acknowledge, closeOnFailure, JobsService, parsePayload, type Principal, TokensService } from '@cc/platform';
import { ContactLifecycleService, OfferViewsService, TransfersService } from '@cc/routing';
import { VoiceCallsService } from '@cc/channels/voice';
import {
  type AgentContactView,
  agentRoom,
  type AgentStateView,
  type AgentStatus,
  type Channel,
  DomainError,
  ErrorCode,
  Namespace,
} from '@cc/shared';
import {
  AgentMessageDto,
  AgentTypingDto,
  ContactCommandDto,
  HoldDto,
  OfferCommandDto,
  RejectOfferDto,
  SetPresenceDto,
  TransferDto,
  WrapUpDto,
} from './agent-desk.dto';

type AgentSocket = Socket & { data: { agent: Principal } };

/** busy when no channel has room left, wrap_up while finishing a contact; otherwise the chosen presence. */
function agentStatus(profile: AgentProfile, held: AgentContactView[]): AgentStatus {
  if (profile.presence !== 'available') return profile.presence;
  if (held.some((c) => c.state === 'wrap_up')) return 'wrap_up';
  const room = (Object.keys(profile.capacity) as Channel[]).some((ch) => profile.load[ch] < profile.capacity[ch]);
  return room ? 'available' : 'busy';
}

/**
 * The agent desk (protocol in docs/sockets.md). Agents authenticate with their access token, receive
 * offers and customer messages in their own room, and act only on contacts offered or assigned to them.
 */
@WebSocketGateway({ namespace: Namespace.Agents })
export class AgentsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(AgentsGateway.name);

  constructor(
    private readonly tokens: TokensService,
    private readonly agents: AgentsService,
    private readonly lifecycle: ContactLifecycleService,
    private readonly views: OfferViewsService,
    private readonly transfers: TransfersService,
    private readonly jobs: JobsService,
    private readonly voice: VoiceCallsService,
  ) {}

  afterInit(nsp: IoNamespace): void {
    // refuse the connection itself, so the client gets connect_error with the reason
    nsp.use((socket, next) => {
      void (async () => {
        const agent = this.tokens.verifyAccess(socket.handshake.auth?.token);
        if (agent.role !== 'agent') throw new DomainError(ErrorCode.Forbidden, 'only agents may join /agents');
        await this.agents.presenceOf(agent.id);
        socket.data.agent = agent;
      })().then(
        () => next(),
        (e: unknown) => {
          const err = new Error(e instanceof DomainError ? e.message : 'connection refused') as Error & { data: unknown };
          err.data = { code: e instanceof DomainError ? e.code : ErrorCode.Internal };
          next(err);
        },
      );
    });
  }

  async handleConnection(socket: AgentSocket): Promise<void> {
    // Nest drops this promise: a failure (the database refusing a connection, say) must end here, not the process
    await closeOnFailure(socket, async () => {
      await socket.join(agentRoom(socket.data.agent.id));
      socket.emit('agent:state', await this.state(socket.data.agent.id));
    });
  }

  async handleDisconnect(socket: AgentSocket): Promise<void> {
    const agent = socket.data.agent;
    if (!agent) return;
    // offline only if no other tab reconnects within the grace period
    await this.jobs.enqueue('timers.agent-disconnected', { agentId: agent.id }).catch((e: Error) => this.logger.warn(e.message));
  }

  @SubscribeMessage('presence:set')
  setPresence(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { state, reason } = parsePayload(SetPresenceDto, body);
      const agentId = socket.data.agent.id;
      await this.agents.setPresence(agentId, state, reason ?? null);
      const presence = await this.agents.presenceOf(agentId);
      socket.to(agentRoom(agentId)).emit('presence:changed', { presence: presence.presence, awayReason: presence.awayReason });
      return { presence: presence.presence, awayReason: presence.awayReason };
    });
  }

  @SubscribeMessage('agent:state')
  getState(@ConnectedSocket() socket: AgentSocket) {
    return acknowledge(async () => ({ state: await this.state(socket.data.agent.id) }));
  }

  @SubscribeMessage('offer:accept')
  accept(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { offerId } = parsePayload(OfferCommandDto, body);
      return { contact: await this.lifecycle.accept(socket.data.agent.id, offerId, socket.id) };
    });
  }

  @SubscribeMessage('offer:reject')
  reject(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { offerId, reason } = parsePayload(RejectOfferDto, body);
      await this.lifecycle.reject(socket.data.agent.id, offerId, reason ?? 'rejected');
      return {};
    });
  }

  @SubscribeMessage('message:send')
  send(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, clientMessageId, text } = parsePayload(AgentMessageDto, body);
      const message = await this.lifecycle.sendAgentMessage(socket.data.agent.id, contactId, clientMessageId, text);
      socket.to(agentRoom(socket.data.agent.id)).emit('message', message);
      return { message };
    });
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, isTyping } = parsePayload(AgentTypingDto, body);
      await this.lifecycle.agentTyping(socket.data.agent.id, contactId, isTyping);
      return {};
    });
  }

  @SubscribeMessage('contact:end')
  end(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId } = parsePayload(ContactCommandDto, body);
      await this.lifecycle.end(socket.data.agent.id, contactId, socket.id);
      return {};
    });
  }

  /** Hands the contact to a queue or a named agent: cold at once, warm once the second agent accepts. */
  @SubscribeMessage('contact:transfer')
  transfer(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, mode, toQueueId, toAgentId } = parsePayload(TransferDto, body);
      await this.transfers.transfer(socket.data.agent.id, contactId, { mode, toQueueId, toAgentId });
      return {};
    });
  }

  @SubscribeMessage('contact:transfer-cancel')
  cancelTransfer(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId } = parsePayload(ContactCommandDto, body);
      await this.transfers.cancel(socket.data.agent.id, contactId);
      return {};
    });
  }

  /** Voice: the caller on hold (with music) or back in the conversation. */
  @SubscribeMessage('call:hold')
  hold(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, hold } = parsePayload(HoldDto, body);
      await this.voice.hold(socket.data.agent.id, contactId, hold);
      return {};
    });
  }

  @SubscribeMessage('contact:wrapup')
  wrapUp(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, disposition, note } = parsePayload(WrapUpDto, body);
      await this.lifecycle.wrapUp(socket.data.agent.id, contactId, disposition, note ?? null, socket.id);
      return {};
    });
  }

  private async state(agentId: string): Promise<AgentStateView> {
    const [profile, offers, contacts] = await Promise.all([
      this.agents.get(agentId),
      this.views.pendingOffersOf(agentId),
      this.views.heldContactsOf(agentId),
    ]);
    return {
      agentId,
      name: profile.name,
      presence: profile.presence,
      status: agentStatus(profile, contacts),
      awayReason: profile.awayReason,
      offers,
      contacts,
    };
  }
}
