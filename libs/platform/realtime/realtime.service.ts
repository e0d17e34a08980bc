import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Server } from 'socket.io';
import { createAdapter as createRedisStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { createAdapter as createPostgresAdapter } from '@socket.io/postgres-adapter';
import IORedis from 'ioredis';
import { Pool, type PoolClient } from 'pg';
import type { ResolvedConfig } from '@cc/config';
import { agentRoom, type AgentServerEvents, monitorRoom, Namespace, type SupervisorServerEvents, visitorRoom, type WebchatServerEvents } from '@cc/shared';
import { InjectConfig } from '../config.token';
import { type AdapterFactory, deliverHereFirst, handleNotificationsInOrder } from './cluster-broadcast';

/**
 * Emits to sockets wherever they are connected. Every process that emits owns a socket.io server wired
 * to the cluster adapter (Redis streams, or PostgreSQL NOTIFY): in an API process it is the server the
 * gateways listen on; in a worker-only process it is a server with no HTTP listener, whose emits the
 * adapter carries to the API processes that hold the sockets.
 */
@Injectable()
export class RealtimeService implements OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeService.name);
  private server?: Server;
  private resolveServer!: (s: Server) => void;
  private readonly serverReady = new Promise<Server>((r) => (this.resolveServer = r));
  private readonly closers: Array<() => Promise<unknown>> = [];
  private adapter?: AdapterFactory;
  /** shutting down: connection errors are expected now, not news */
  private closing = false;

  constructor(@InjectConfig() private readonly config: ResolvedConfig) {}

  /** The adapter every socket.io server of this process uses, created on first use. */
  adapterFactory(): AdapterFactory {
    if (this.adapter) return this.adapter;
    const prefix = this.config.queuePrefix;
    // a dropped connection or a failed publish is news, except while shutting down
    const warn = (e: Error) => !this.closing && this.logger.warn(`socket fan-out: ${e.message}`);
    if (this.config.redisUrl) {
      // emits made in the same tick (a routing pass's offers, a transition's notices) go to Redis in one write
      const client = new IORedis(this.config.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: true });
      client.on('error', warn);
      this.closers.push(() => client.quit().catch(() => client.disconnect()));
      this.adapter = deliverHereFirst(createRedisStreamsAdapter(client, { streamName: `${prefix}:socket.io` }) as unknown as AdapterFactory, {
        onePublishAtATime: false,
        onPublishFailed: warn,
      });
    } else {
      const pool = new Pool({ connectionString: this.config.databaseUrl, max: 3, application_name: 'socket-fanout' });
      const clients = new Set<PoolClient>();
      pool.on('error', warn);
      // the adapter keeps one client checked out for LISTEN; a dropped connection must not crash the process
      pool.on('connect', (client) => {
        clients.add(client);
        client.on('error', warn);
        handleNotificationsInOrder(client);
      });
      pool.on('remove', (client) => clients.delete(client));
      this.closers.push(async () => {
        // the adapter may not give its LISTEN client back (after a lost connection, say): close every client ourselves
        await Promise.all([...clients].map((c) => c.end().catch(() => undefined)));
        await Promise.race([pool.end(), new Promise((r) => setTimeout(r, 2000).unref())]);
      });
      this.adapter = deliverHereFirst(createPostgresAdapter(pool, { channelPrefix: `${prefix}_sio`, errorHandler: warn }) as unknown as AdapterFactory, {
        onePublishAtATime: true,
        onPublishFailed: warn,
      });
    }
    return this.adapter;
  }

  /** Called by the API's socket adapter with the server the gateways listen on. */
  attach(server: Server): void {
    server.adapter(this.adapterFactory());
    this.server = server;
    this.resolveServer(server);
  }

  /** For a process that holds no sockets: a listener-less server that only emits through the adapter. */
  startDetached(): void {
    if (this.server) return;
    const server = new Server();
    this.attach(server);
    // create the namespaces now, so their adapters subscribe before the first emit
    for (const ns of Object.values(Namespace)) server.of(ns);
    // socket.io's close() fails on a server never attached to an HTTP server (it has no engine):
    // what a detached server holds is its namespaces' adapters (the default one's too), closed here
    const namespaces = [server.sockets, ...Object.values(Namespace).map((ns) => server.of(ns))];
    this.closers.unshift(() => Promise.all(namespaces.map((nsp) => nsp.adapter.close())));
  }

  async toAgent<E extends keyof AgentServerEvents>(agentId: string, event: E, ...args: Parameters<AgentServerEvents[E]>): Promise<void> {
    await this.toAgentExcept(agentId, undefined, event, ...args);
  }

  /**
   * To every socket of the agent but the one whose command caused the event: that socket learns of
   * it from its acknowledgement, and one write fewer per command counts on the routing hot path.
   */
  async toAgentExcept<E extends keyof AgentServerEvents>(
    agentId: string,
    exceptSocketId: string | undefined,
    event: E,
    ...args: Parameters<AgentServerEvents[E]>
  ): Promise<void> {
    const server = this.server ?? (await this.serverReady);
    const sockets = server.of(Namespace.Agents).to(agentRoom(agentId));
    (exceptSocketId ? sockets.except(exceptSocketId) : sockets).emit(event, ...args);
  }

  async toVisitor<E extends keyof WebchatServerEvents>(
    visitorId: string,
    event: E,
    ...args: Parameters<WebchatServerEvents[E]>
  ): Promise<void> {
    const server = this.server ?? (await this.serverReady);
    server.of(Namespace.Webchat).to(visitorRoom(visitorId)).emit(event, ...args);
  }

  /** To every supervisor monitoring the contact, in any API process. */
  async toMonitors<E extends keyof SupervisorServerEvents>(contactId: string, event: E, ...args: Parameters<SupervisorServerEvents[E]>): Promise<void> {
    const server = this.server ?? (await this.serverReady);
    server.of(Namespace.Supervisors).to(monitorRoom(contactId)).emit(event, ...args);
  }

  /** Closes every socket an agent has open, in any API process (they were deactivated). */
  async disconnectAgent(agentId: string): Promise<void> {
    const server = this.server ?? (await this.serverReady);
    server.of(Namespace.Agents).in(agentRoom(agentId)).disconnectSockets(true);
  }

  /** How many sockets an agent has open across every API process. */
  async agentSocketCount(agentId: string): Promise<number> {
    const server = this.server ?? (await this.serverReady);
    const sockets = await server.of(Namespace.Agents).in(agentRoom(agentId)).fetchSockets();
    return sockets.length;
  }

  /**
   * After Nest has closed the gateways' server (which closes its adapters and releases their
   * connections), close our own server if detached, then the fan-out connections.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const close of this.closers) {
      await close().catch((e: Error) => this.logger.warn(`closing socket fan-out: ${e.message}`));
    }
  }
}
