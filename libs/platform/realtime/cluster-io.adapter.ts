import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable } from 'rxjs';
import type { Server, ServerOptions } from 'socket.io';
import type { RealtimeService } from './realtime.service';
import { describeError } from './socket-ack';

const logger = new Logger('SocketHandlers');

/** The socket as Nest's adapter types it (it carries its own copy of socket.io's types). */
type AdapterSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

/** A gateway handler's response: `{event, data}` is emitted as that event, anything else answers the acknowledgement. */
type HandlerResponse = { event?: string; data?: unknown } | null | undefined;

/**
 * Nest's socket.io adapter, with the cluster adapter attached so emits reach every API process, and
 * gateway handlers bound as plain socket.io listeners.
 */
export class ClusterIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly realtime: RealtimeService,
    private readonly allowedOrigins: string[] | '*',
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      cors: { origin: this.allowedOrigins === '*' ? true : this.allowedOrigins, credentials: true },
    });
    this.realtime.attach(server);
    return server;
  }

  /**
   * Nest's own binding builds an rxjs pipeline per handler per socket (about 20 subscribers for a
   * visitor's socket), which stays live for the connection, and adds an inner subscription for every
   * message. With thousands of visitors connected that is a large part of what each major garbage
   * collection has to mark (README, "Major collections set the tail"). A listener does the same job:
   * socket.io drops it with the socket, and the handler's response goes out as Nest's would.
   */
  override bindMessageHandlers(socket: AdapterSocket, handlers: MessageMappingProperties[]): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
        const respond = (value: unknown) => {
          const response = value as HandlerResponse;
          if (response === null || response === undefined) return;
          if (response.event) socket.emit(response.event, response.data);
          else if (!isAckHandledManually && typeof ack === 'function') ack(response);
        };
        // Nest's wrapped handler awaits the handler and routes its errors to the gateway's exception
        // filters, so this promise settles with the handler's result; an observable may answer more than once.
        Promise.resolve(callback(data, ack))
          .then((result: unknown) => {
            if (isObservable(result)) result.subscribe({ next: respond, error: (e: unknown) => logger.error(describeError(e)) });
            else respond(result);
          })
          .catch((e: unknown) => logger.error(describeError(e)));
      });
    }
  }
}
