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
import { AgentsService } from '@cc/agents';
import { acknowledge, JobsService, parsePayload, type Principal, TokensService } from '@cc/platform';
import { ContactLifecycleService, OfferViewsService, RoutingService } from '@cc/routing';
import { agentRoom, type AgentStateView, DomainError, ErrorCode, Namespace } from '@cc/shared';
import { AgentMessageDto, AgentTypingDto, ContactCommandDto, OfferCommandDto, RejectOfferDto, SetPresenceDto, WrapUpDto } from './agent-desk.dto';

type AgentSocket = Socket & { data: { agent: Principal } };

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
    private readonly routing: RoutingService,
    private readonly jobs: JobsService,
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
    await socket.join(agentRoom(socket.data.agent.id));
    socket.emit('agent:state', await this.state(socket.data.agent.id));
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
      if (state === 'available') await this.routing.requestForAgent(agentId, 'agent_available');
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
      return { contact: await this.lifecycle.accept(socket.data.agent.id, offerId) };
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
      await this.lifecycle.end(socket.data.agent.id, contactId);
      return {};
    });
  }

  @SubscribeMessage('contact:wrapup')
  wrapUp(@ConnectedSocket() socket: AgentSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, disposition, note } = parsePayload(WrapUpDto, body);
      await this.lifecycle.wrapUp(socket.data.agent.id, contactId, disposition, note ?? null);
      return {};
    });
  }

  private async state(agentId: string): Promise<AgentStateView> {
    const [presence, offers, contacts] = await Promise.all([
      this.agents.presenceOf(agentId),
      this.views.pendingOffersOf(agentId),
      this.views.heldContactsOf(agentId),
    ]);
    return { agentId, name: presence.name, presence: presence.presence, awayReason: presence.awayReason, offers, contacts };
  }
}
