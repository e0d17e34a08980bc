import { Logger, OnModuleDestroy } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { acknowledge, closeOnFailure, parsePayload, type Principal, TokensService } from '@cc/platform';
import { DomainError, ErrorCode, monitorRoom, Namespace } from '@cc/shared';
import { InterventionsService, LiveStatsService, type Supervisor } from '@cc/supervision';
import { ReassignDto, SetAgentStateDto, SupervisedContactDto, SupervisorMessageDto } from './supervision.dto';

type SupervisorSocket = Socket & { data: { supervisor: Principal } };

/** how often the live figures are recomputed while a supervisor is connected to this process */
const FEED_EVERY_MS = 1_000;

const asSupervisor = (p: Principal): Supervisor => ({ type: p.role === 'admin' ? 'admin' : 'supervisor', id: p.id, name: p.name });

/**
 * The supervisors' live view (protocol in docs/sockets.md). Supervisors and admins only. Each API
 * process recomputes the figures from PostgreSQL once a second while it has supervisors connected,
 * and pushes a queue's or an agent's figures to them only when they changed.
 */
@WebSocketGateway({ namespace: Namespace.Supervisors })
export class SupervisorsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger(SupervisorsGateway.name);
  private nsp!: IoNamespace;
  private feed?: NodeJS.Timeout;
  private feeding = false;
  private lastSent = new Map<string, string>();

  constructor(
    private readonly tokens: TokensService,
    private readonly live: LiveStatsService,
    private readonly interventions: InterventionsService,
  ) {}

  afterInit(nsp: IoNamespace): void {
    this.nsp = nsp;
    nsp.use((socket, next) => {
      try {
        const who = this.tokens.verifyAccess(socket.handshake.auth?.token);
        if (who.role !== 'supervisor' && who.role !== 'admin') throw new DomainError(ErrorCode.Forbidden, 'only supervisors and admins may join /supervisors');
        socket.data.supervisor = who;
        next();
      } catch (e) {
        const err = new Error(e instanceof DomainError ? e.message : 'connection refused') as Error & { data: unknown };
        err.data = { code: e instanceof DomainError ? e.code : ErrorCode.Internal };
        next(err);
      }
    });
    this.feed = setInterval(() => void this.push(), FEED_EVERY_MS);
    this.feed.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.feed);
  }

  async handleConnection(socket: SupervisorSocket): Promise<void> {
    await closeOnFailure(socket, async () => {
      socket.emit('snapshot', await this.live.snapshot());
    });
  }

  /** The latest figures to this process's supervisors: only those that changed since last time. */
  private async push(): Promise<void> {
    if (this.feeding || this.nsp.sockets.size === 0) return;
    this.feeding = true;
    try {
      const snapshot = await this.live.snapshot();
      for (const q of snapshot.queues) this.sendIfChanged(`q:${q.queueId}`, q, () => this.nsp.local.emit('queue:stats', q));
      for (const a of snapshot.agents) this.sendIfChanged(`a:${a.agentId}`, a, () => this.nsp.local.emit('agent:stats', a));
    } catch (e) {
      this.logger.warn(`live figures not refreshed: ${(e as Error).message}`);
    } finally {
      this.feeding = false;
    }
  }

  private sendIfChanged(key: string, value: unknown, send: () => void): void {
    const json = JSON.stringify(value);
    if (this.lastSent.get(key) === json) return;
    this.lastSent.set(key, json);
    send();
  }

  @SubscribeMessage('snapshot')
  snapshot() {
    return acknowledge(async () => ({ snapshot: await this.live.snapshot() }));
  }

  @SubscribeMessage('agent:set-state')
  setAgentState(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { agentId, presence, reason } = parsePayload(SetAgentStateDto, body);
      return { changed: await this.interventions.setAgentPresence(asSupervisor(socket.data.supervisor), agentId, presence, reason ?? null) };
    });
  }

  @SubscribeMessage('contact:requeue')
  requeue(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId } = parsePayload(SupervisedContactDto, body);
      await this.interventions.requeue(asSupervisor(socket.data.supervisor), contactId);
      return {};
    });
  }

  @SubscribeMessage('contact:reassign')
  reassign(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, agentId } = parsePayload(ReassignDto, body);
      await this.interventions.requeue(asSupervisor(socket.data.supervisor), contactId, agentId);
      return {};
    });
  }

  /** Read-only: the contact as it stands, then its messages and state changes as they happen. */
  @SubscribeMessage('contact:monitor')
  monitor(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId } = parsePayload(SupervisedContactDto, body);
      const contact = await this.interventions.monitor(asSupervisor(socket.data.supervisor), contactId);
      await socket.join(monitorRoom(contactId));
      return { contact };
    });
  }

  @SubscribeMessage('contact:unmonitor')
  unmonitor(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId } = parsePayload(SupervisedContactDto, body);
      await socket.leave(monitorRoom(contactId));
      return {};
    });
  }

  @SubscribeMessage('contact:whisper')
  whisper(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, clientMessageId, text } = parsePayload(SupervisorMessageDto, body);
      return { message: await this.interventions.whisper(asSupervisor(socket.data.supervisor), contactId, clientMessageId, text) };
    });
  }

  @SubscribeMessage('contact:barge')
  barge(@ConnectedSocket() socket: SupervisorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, clientMessageId, text } = parsePayload(SupervisorMessageDto, body);
      return { message: await this.interventions.bargeIn(asSupervisor(socket.data.supervisor), contactId, clientMessageId, text) };
    });
  }
}
