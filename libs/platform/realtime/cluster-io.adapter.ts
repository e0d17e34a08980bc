import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { RealtimeService } from './realtime.service';

/** Nest's socket.io adapter, with the cluster adapter attached so emits reach every API process. */
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
}
