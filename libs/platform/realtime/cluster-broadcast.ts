import type { PoolClient } from 'pg';
import type { Namespace } from 'socket.io';
import { Adapter, type ClusterAdapter, MessageType } from 'socket.io-adapter';

export type AdapterFactory = (nsp: Namespace) => Adapter;
type BroadcastOptions = Parameters<Adapter['broadcast']>[1];
/** the cluster adapter's own send, which its type keeps protected */
type Publisher = { publishAndReturnOffset(message: { type: MessageType.BROADCAST; data: unknown }): Promise<string> };

export interface ClusterBroadcastOptions {
  /**
   * Send one broadcast to the other processes at a time. The PostgreSQL adapter sends its NOTIFYs
   * over several pooled connections (an event over NOTIFY's 8,000-byte limit takes two statements),
   * so two of one process's emits could overtake each other on the way; the Redis-streams adapter
   * writes every broadcast to one connection, in order, and needs no queue.
   */
  onePublishAtATime: boolean;
  onPublishFailed: (e: Error) => void;
}

/**
 * Wraps a cluster adapter so that an emit reaches this process's own sockets at once, and the other
 * processes' through the cluster transport afterwards.
 *
 * The stock cluster adapter hands an emit to local sockets only once the transport has taken it (an
 * XADD or a NOTIFY answered), to stamp it with a stream offset for connection-state recovery, which
 * this service does not use. Under load that round trip, queued behind everything else the transport
 * carries, was most of an offer's latency (README, Performance). Order is kept on both paths: local
 * delivery is synchronous, in emit order; remote delivery follows the transport's order, one publish
 * at a time where the transport could reorder them.
 */
export function deliverHereFirst(factory: AdapterFactory, options: ClusterBroadcastOptions): AdapterFactory {
  let previous: Promise<void> = Promise.resolve();
  // socket.io calls the factory with `new`: a function, not an arrow, whose returned object stands
  return function (nsp: Namespace) {
    const adapter = factory(nsp) as ClusterAdapter;
    const publisher = adapter as unknown as Publisher;
    adapter.broadcast = (packet: any, opts: BroadcastOptions): Promise<void> => {
      // a copy: socket.io's encoder replaces binary data on the packet it is given, and the
      // publish below, which may run later, must still send the original
      Adapter.prototype.broadcast.call(adapter, { ...packet }, opts);
      if (opts.flags?.local) return Promise.resolve();
      const publish = () =>
        publisher
          .publishAndReturnOffset({
            type: MessageType.BROADCAST,
            // as the cluster adapter encodes them: sets travel as arrays
            data: { packet, opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags } },
          })
          .then(
            () => undefined,
            (e: Error) => options.onPublishFailed(e),
          );
      if (!options.onePublishAtATime) return publish();
      previous = previous.then(publish);
      return previous;
    };
    return adapter;
  };
}

/**
 * The PostgreSQL adapter handles each NOTIFY as it arrives, but an event over NOTIFY's limit comes
 * as a pointer that it first looks up in its table: a small event sent after a large one would be
 * delivered before it. Handling one connection's notifications one after another, each waiting for
 * the one before to be delivered, keeps the order they were sent in. Applied to every connection of
 * the fan-out pool before the adapter subscribes its listener.
 */
export function handleNotificationsInOrder(client: PoolClient): void {
  const on = client.on.bind(client) as (event: string, listener: (...args: any[]) => unknown) => PoolClient;
  let previous: Promise<unknown> = Promise.resolve();
  client.on = ((event: string, listener: (...args: any[]) => unknown) => {
    if (event !== 'notification') return on(event, listener);
    // the adapter's listener is async and reports its own errors
    return on('notification', (msg: unknown) => (previous = previous.then(() => listener(msg)).catch(() => undefined)));
  }) as PoolClient['on'];
}
