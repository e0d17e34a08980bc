import type { PoolClient } from 'pg';
import type { Namespace } from 'socket.io';
import { Adapter, type ClusterAdapter, MessageType } from 'socket.io-adapter';

export type AdapterFactory = (nsp: Namespace) => Adapter;
type BroadcastOptions = Parameters<Adapter['broadcast']>[1];
/** the cluster adapter's own send and receive, which its type keeps protected */
type ClusterInternals = {
  uid: string;
  publishAndReturnOffset(message: { type: number; data: unknown }): Promise<string>;
  onMessage(message: ClusterMessageIn, offset?: string): void;
  /** the Redis-streams adapter's entry point for a stream entry, before it decodes the entry */
  onRawMessage?(raw: { uid: string; nsp: string; type: string }, offset: string): void;
};

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

type ClusterMessageIn = { uid: string; nsp: string; type: number; data?: any };

/** A broadcast as the cluster adapter sends it: sets travel as arrays. */
interface ClusterBroadcast {
  packet: any;
  opts: { rooms: string[]; except: string[]; flags: BroadcastOptions['flags'] };
}

/**
 * Our own cluster message type: several broadcasts of one namespace, in emit order. Only a process
 * whose adapter is wrapped by deliverHereFirst reads it; the stock adapter ignores unknown types.
 */
export const BROADCASTS = 100;
/** the most broadcasts in one cluster message */
const MAX_BATCH = 50;

/**
 * Wraps a cluster adapter so that an emit reaches this process's own sockets at once, and the other
 * processes' through the cluster transport afterwards, together with the emits made around it.
 *
 * The stock cluster adapter hands an emit to local sockets only once the transport has taken it (an
 * XADD or a NOTIFY answered), to stamp it with a stream offset for connection-state recovery, which
 * this service does not use. Under load that round trip, queued behind everything else the transport
 * carries, was most of an offer's latency (README, Performance).
 *
 * It also sends every emit as a message of its own, and a contact's life is a dozen emits (offer,
 * states to agent, visitor and monitors, queue positions): a dozen XADDs (or NOTIFYs), each read
 * back and decoded by every process, this one included. Here the emits of one turn of the event
 * loop go out as one message, published when the turn ends (setImmediate).
 *
 * Order is kept on both paths: local delivery is synchronous, in emit order; a message carries its
 * broadcasts in emit order and messages follow the transport's order, one publish at a time where
 * the transport could reorder them.
 */
export function deliverHereFirst(factory: AdapterFactory, options: ClusterBroadcastOptions): AdapterFactory {
  let previous: Promise<void> = Promise.resolve();
  // socket.io calls the factory with `new`: a function, not an arrow, whose returned object stands
  return function (nsp: Namespace) {
    const adapter = factory(nsp) as ClusterAdapter;
    const internals = adapter as unknown as ClusterInternals;
    let pending: ClusterBroadcast[] = [];
    // A process without sockets in this namespace (a worker; an API process before anyone connects)
    // has no one to deliver a broadcast to: rendering the packet would be work for nothing.
    const hasSocketsHere = () => nsp.sockets.size > 0;

    const publish = (message: ClusterMessageOut) => {
      const send = () =>
        internals.publishAndReturnOffset(message).then(
          () => undefined,
          (e: Error) => options.onPublishFailed(e),
        );
      if (!options.onePublishAtATime) return void send();
      previous = previous.then(send);
    };
    const flush = () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      // a lone broadcast goes as the stock adapter sends it
      publish(batch.length === 1 ? { type: MessageType.BROADCAST, data: batch[0] } : { type: BROADCASTS, data: { broadcasts: batch } });
    };

    adapter.broadcast = (packet: any, opts: BroadcastOptions): Promise<void> => {
      // a copy: socket.io's encoder replaces binary data on the packet it is given, and the
      // publish below, which runs later, must still send the original
      if (hasSocketsHere()) Adapter.prototype.broadcast.call(adapter, { ...packet }, opts);
      if (opts.flags?.local) return Promise.resolve();
      const broadcast = { packet, opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags } };
      if (containsBinary(packet.data)) {
        // the adapters encode binary data only in the message types they know: this one goes alone, in its place
        flush();
        publish({ type: MessageType.BROADCAST, data: broadcast });
        return Promise.resolve();
      }
      pending.push(broadcast);
      if (pending.length === 1) setImmediate(flush);
      else if (pending.length >= MAX_BATCH) flush();
      return Promise.resolve();
    };

    // the transports hand every message to the adapter's onMessage, which ignores our own
    const onMessage = internals.onMessage.bind(adapter);
    // a broadcast not delivered still tells the adapter its sender is alive, as every message does
    // (it counts the processes that must answer a fetchSockets): passed on as a heartbeat
    const signOfLife = (message: { uid: string; nsp: string }, offset?: string) => onMessage({ ...message, type: MessageType.HEARTBEAT }, offset);
    internals.onMessage = (message, offset) => {
      if (isUnansweredBroadcast(message) && !hasSocketsHere()) return signOfLife(message, offset);
      if (message.type !== BROADCASTS) return onMessage(message, offset);
      for (const data of message.data.broadcasts as ClusterBroadcast[]) onMessage({ ...message, type: MessageType.BROADCAST, data }, offset);
    };
    // The Redis-streams adapter decodes every stream entry before it looks at who sent it: its own
    // entries, and (in a process with no sockets, such as a worker) every other process's emits too
    const onRawMessage = internals.onRawMessage?.bind(adapter);
    if (onRawMessage) {
      internals.onRawMessage = (raw, offset) => {
        if (raw.uid === internals.uid) return;
        if (raw.type === String(BROADCASTS) && !hasSocketsHere()) return signOfLife(raw, offset);
        onRawMessage(raw, offset);
      };
    }
    return adapter;
  };
}

/** A broadcast whose sender waits for no answer (a broadcast with acknowledgements waits for a count from every process). */
function isUnansweredBroadcast(message: ClusterMessageIn): boolean {
  return message.type === BROADCASTS || (message.type === MessageType.BROADCAST && message.data?.requestId === undefined);
}

type ClusterMessageOut = { type: MessageType.BROADCAST; data: ClusterBroadcast } | { type: typeof BROADCASTS; data: { broadcasts: ClusterBroadcast[] } };

/** Whether an event's arguments hold binary data (socket.io sends those as attachments). */
function containsBinary(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (Array.isArray(value)) return value.some(containsBinary);
  return Object.values(value).some(containsBinary);
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
