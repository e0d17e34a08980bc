import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { of } from 'rxjs';
import { Server } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { ClusterIoAdapter } from './cluster-io.adapter';
import type { RealtimeService } from './realtime.service';

/** A gateway handler as Nest hands it to the adapter: already bound to its socket, returning a promise or an observable. */
const handler = (message: string, callback: MessageMappingProperties['callback'], isAckHandledManually = false): MessageMappingProperties => ({
  message,
  methodName: message,
  callback,
  isAckHandledManually,
});

describe('ClusterIoAdapter binds gateway handlers as socket.io listeners', () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;
  const received: unknown[] = [];

  beforeAll(async () => {
    const adapter = new ClusterIoAdapter(undefined as never, {} as RealtimeService, '*');
    http = createServer();
    server = new Server(http);
    server.on('connection', (socket) =>
      adapter.bindMessageHandlers(socket as never, [
        handler('echo', async (data: unknown) => ({ echoed: data })),
        handler('no-payload', async (data: unknown) => ({ dataWasUndefined: data === undefined })),
        handler('as-event', async () => ({ event: 'pushed', data: { n: 1 } })),
        handler('observable', async () => of({ event: 'pushed', data: { n: 2 } }, { event: 'pushed', data: { n: 3 } })),
        handler('nothing', async () => null),
        handler('manual', async (_data: unknown, ack: (r: unknown) => void) => {
          // answered later than the adapter would answer the result, so an answer from the adapter would win
          setImmediate(() => ack({ fromHandler: true }));
          return { fromAdapter: true };
        }, true),
      ]),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
    client.on('pushed', (payload: unknown) => received.push(payload));
    await new Promise<void>((resolve) => client.on('connect', resolve));
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => received.splice(0));

  it("answers the acknowledgement with the handler's result, given the payload", async () => {
    await expect(client.emitWithAck('echo', { text: 'hi' })).resolves.toEqual({ echoed: { text: 'hi' } });
  });

  it('passes no data when the client sent only an acknowledgement', async () => {
    await expect(client.emitWithAck('no-payload')).resolves.toEqual({ dataWasUndefined: true });
  });

  it('emits an {event, data} result as that event', async () => {
    client.emit('as-event');
    await expect(client.emitWithAck('echo', 'after')).resolves.toEqual({ echoed: 'after' });
    expect(received).toEqual([{ n: 1 }]);
  });

  it('sends every value of an observable result', async () => {
    client.emit('observable');
    await expect(client.emitWithAck('echo', 'after')).resolves.toEqual({ echoed: 'after' });
    expect(received).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('sends nothing for a null result', async () => {
    const acks: unknown[] = [];
    client.emit('nothing', {}, (answer: unknown) => acks.push(answer));
    // one socket delivers in order: once a later acknowledgement is back, an earlier one would be too
    await client.emitWithAck('echo', 'after');
    expect(acks).toEqual([]);
  });

  it('leaves the acknowledgement to a handler that answers it itself', async () => {
    await expect(client.emitWithAck('manual', {})).resolves.toEqual({ fromHandler: true });
  });
});
