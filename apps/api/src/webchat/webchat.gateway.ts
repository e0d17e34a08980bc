import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { WebchatService } from '@cc/channels/webchat';
import { acknowledge, closeOnFailure, parsePayload, TokensService } from '@cc/platform';
import { DomainError, ErrorCode, Namespace, visitorRoom } from '@cc/shared';
import { RateConversationDto, VisitorMessageDto, VisitorTypingDto } from './webchat.dto';

type VisitorSocket = Socket & { data: { visitorId: string } };

/** Website visitors (protocol in docs/sockets.md). A visitor token admits to one conversation only: their own. */
@WebSocketGateway({ namespace: Namespace.Webchat })
export class WebchatGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(
    private readonly tokens: TokensService,
    private readonly webchat: WebchatService,
  ) {}

  afterInit(nsp: IoNamespace): void {
    nsp.use((socket, next) => {
      try {
        socket.data.visitorId = this.tokens.verifyVisitor(socket.handshake.auth?.token).visitorId;
        next();
      } catch (e) {
        const err = new Error(e instanceof DomainError ? e.message : 'connection refused') as Error & { data: unknown };
        err.data = { code: e instanceof DomainError ? e.code : ErrorCode.Internal };
        next(err);
      }
    });
  }

  async handleConnection(socket: VisitorSocket): Promise<void> {
    // Nest drops this promise: a failure (the database refusing a connection, say) must end here, not the process
    await closeOnFailure(socket, async () => {
      await socket.join(visitorRoom(socket.data.visitorId));
      socket.emit('conversation', await this.webchat.conversation(socket.data.visitorId));
    });
  }

  @SubscribeMessage('message:send')
  send(@ConnectedSocket() socket: VisitorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const msg = parsePayload(VisitorMessageDto, body);
      await this.webchat.acceptMessage(socket.data.visitorId, msg);
      return { clientMessageId: msg.clientMessageId };
    });
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: VisitorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { isTyping } = parsePayload(VisitorTypingDto, body);
      await this.webchat.typing(socket.data.visitorId, isTyping);
      return {};
    });
  }

  @SubscribeMessage('conversation:get')
  get(@ConnectedSocket() socket: VisitorSocket) {
    return acknowledge(async () => ({ conversation: await this.webchat.conversation(socket.data.visitorId) }));
  }

  /** The visitor's satisfaction score for a closed conversation of theirs (CSAT). */
  @SubscribeMessage('conversation:rate')
  rate(@ConnectedSocket() socket: VisitorSocket, @MessageBody() body: unknown) {
    return acknowledge(async () => {
      const { contactId, score, comment } = parsePayload(RateConversationDto, body);
      return this.webchat.rate(socket.data.visitorId, contactId, score, comment ?? null);
    });
  }

  /** The visitor closed the chat: a waiting contact is abandoned; a live one stays with its agent. */
  @SubscribeMessage('conversation:leave')
  leave(@ConnectedSocket() socket: VisitorSocket) {
    return acknowledge(async () => {
      await this.webchat.leave(socket.data.visitorId);
      return {};
    });
  }
}
