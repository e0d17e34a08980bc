import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';

/** Waits for an event matching a predicate; rejects with what was seen if it does not come in time. */
export function waitForEvent<T = any>(socket: Socket, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 15_000): Promise<T> {
  return new Promise((ok, fail) => {
    const seen: unknown[] = [];
    const handler = (payload: T) => {
      seen.push(payload);
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      ok(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event, handler);
      fail(new Error(`no matching '${event}' within ${timeoutMs} ms; saw ${JSON.stringify(seen).slice(0, 1500)}`));
    }, timeoutMs);
    socket.on(event, handler);
  });
}

/** Polls until fn returns a truthy value (for state that arrives through the queue). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function login(url: string, email: string, password: string): Promise<string> {
  const res = await request(url).post('/auth/login').send({ email, password }).expect(200);
  return res.body.accessToken;
}

function connected(socket: Socket): Promise<Socket> {
  return new Promise((ok, fail) => {
    socket.once('connect', () => ok(socket));
    socket.once('connect_error', (e) => fail(e));
  });
}

export interface AgentClient {
  socket: Socket;
  /** the agent:state the server sent on connect */
  initialState: any;
  ack<T = any>(event: string, payload?: unknown): Promise<T>;
  close(): void;
}

export async function connectAgent(url: string, token: string): Promise<AgentClient> {
  const socket = io(`${url}/agents`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const state = waitForEvent(socket, 'agent:state');
  await connected(socket);
  return {
    socket,
    initialState: await state,
    ack: (event, payload) => socket.timeout(15_000).emitWithAck(event, payload),
    close: () => socket.disconnect(),
  };
}

export interface VisitorClient {
  socket: Socket;
  token: string;
  visitorId: string;
  conversation: any;
  /** sends a message; returns the acknowledgement */
  say(text: string, extra?: Record<string, unknown>): Promise<any>;
  ack<T = any>(event: string, payload?: unknown): Promise<T>;
  close(): void;
}

export async function connectVisitor(url: string, existingToken?: string): Promise<VisitorClient> {
  const session = await request(url).post('/webchat/sessions').send(existingToken ? { visitorToken: existingToken } : {}).expect(200);
  const socket = io(`${url}/webchat`, { auth: { token: session.body.visitorToken }, transports: ['websocket'], reconnection: false, forceNew: true });
  const conversation = waitForEvent(socket, 'conversation');
  await connected(socket);
  const ack = (event: string, payload?: unknown) => socket.timeout(15_000).emitWithAck(event, payload);
  return {
    socket,
    token: session.body.visitorToken,
    visitorId: session.body.visitorId,
    conversation: await conversation,
    say: (text, extra = {}) => ack('message:send', { clientMessageId: randomUUID(), text, ...extra }),
    ack,
    close: () => socket.disconnect(),
  };
}
