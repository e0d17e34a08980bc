import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, login, waitForEvent } from './support/clients';

describe('a web-chat conversation from visitor to agent and back', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('offers the chat to an available agent with the customer, who accepts, talks both ways, and wraps up', async () => {
    const alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    expect(alice.initialState).toMatchObject({ name: 'Alice Agent', presence: 'offline', offers: [], contacts: [] });
    expect(await alice.ack('presence:set', { state: 'available' })).toEqual({ ok: true, presence: 'available', awayReason: null });

    const visitor = await connectVisitor(t.url);
    expect(visitor.conversation).toEqual({ contactId: null, state: null, agentName: null, messages: [] });
    const offered = waitForEvent(alice.socket, 'offer');
    expect(await visitor.say('Hello, my order is late', { name: 'Jane Doe', email: 'Jane@Example.com' })).toMatchObject({ ok: true });

    const offer = await offered;
    expect(offer).toMatchObject({
      channel: 'chat',
      queue: { name: 'Support' },
      customer: { name: 'Jane Doe', email: 'jane@example.com' },
      messages: [{ text: 'Hello, my order is late', direction: 'inbound', author: { type: 'customer' } }],
      history: [],
    });

    const joined = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'active');
    const accepted = await alice.ack('offer:accept', { offerId: offer.offerId });
    expect(accepted).toMatchObject({ ok: true, contact: { contactId: offer.contactId, state: 'active' } });
    expect(await joined).toMatchObject({ contactId: offer.contactId, agentName: 'Alice Agent' });

    // agent → visitor, with typing
    const visitorSeesTyping = waitForEvent(visitor.socket, 'typing', (e) => e.isTyping === true);
    expect(await alice.ack('typing', { contactId: offer.contactId, isTyping: true })).toEqual({ ok: true });
    await visitorSeesTyping;
    const visitorGets = waitForEvent(visitor.socket, 'message', (m) => m.direction === 'outbound');
    const sent = await alice.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: 'Sorry! Let me check.' });
    expect(sent).toMatchObject({ ok: true, message: { text: 'Sorry! Let me check.', author: { type: 'agent', name: 'Alice Agent' } } });
    expect(await visitorGets).toMatchObject({ text: 'Sorry! Let me check.', contactId: offer.contactId });

    // visitor → agent, with typing
    const agentSeesTyping = waitForEvent(alice.socket, 'typing', (e) => e.contactId === offer.contactId && e.isTyping);
    expect(await visitor.ack('typing', { isTyping: true })).toEqual({ ok: true });
    await agentSeesTyping;
    const agentGets = waitForEvent(alice.socket, 'message', (m) => m.text === 'Thanks, order 1234');
    await visitor.say('Thanks, order 1234');
    expect(await agentGets).toMatchObject({ contactId: offer.contactId, direction: 'inbound' });

    // end and wrap up
    const ended = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'wrap_up');
    expect(await alice.ack('contact:end', { contactId: offer.contactId })).toEqual({ ok: true });
    await ended;
    expect(await alice.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved', note: 'shipped a replacement' })).toEqual({ ok: true });

    const admin = await login(t.url, 'admin@demo.local', 'admin-demo');
    const detail = await request(t.url).get(`/contacts/${offer.contactId}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(detail.body).toMatchObject({ state: 'closed', disposition: 'resolved', wrapUpNote: 'shipped a replacement', channel: 'chat' });
    expect(detail.body.events.map((e: any) => [e.type, e.fromState, e.toState, e.actor.type])).toEqual([
      ['queued', null, 'queued', 'customer'],
      ['offered', 'queued', 'offered', 'system'],
      ['accepted', 'offered', 'active', 'agent'],
      ['wrap_up', 'active', 'wrap_up', 'agent'],
      ['closed', 'wrap_up', 'closed', 'agent'],
    ]);
    expect(detail.body.events[2].actor.name).toBe('Alice Agent');
    for (const e of detail.body.events) expect(Date.parse(e.at)).not.toBeNaN();
    expect(detail.body.messages.map((m: any) => m.text)).toEqual(['Hello, my order is late', 'Sorry! Let me check.', 'Thanks, order 1234']);

    // the agent's capacity is free again
    const { rows } = await t.db.query(`SELECT load FROM agent_capacities c JOIN users u ON u.id = c.agent_id WHERE u.email = 'alice@demo.local' AND channel = 'chat'`);
    expect(rows[0].load).toBe(0);

    // the visitor rates the closed conversation, once; out-of-range scores and others' conversations are refused
    expect(await visitor.ack('conversation:rate', { contactId: offer.contactId, score: 6 })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await visitor.ack('conversation:rate', { contactId: offer.contactId, score: 4, comment: 'quick, thanks' })).toEqual({ ok: true, recorded: true });
    expect(await visitor.ack('conversation:rate', { contactId: offer.contactId, score: 1 })).toEqual({ ok: true, recorded: false });
    const stranger = await connectVisitor(t.url);
    expect(await stranger.ack('conversation:rate', { contactId: offer.contactId, score: 1 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    stranger.close();
    const rated = await t.db.query(`SELECT csat FROM contacts WHERE id = $1`, [offer.contactId]);
    expect(rated.rows).toEqual([{ csat: 4 }]);

    alice.close();
    visitor.close();
  });

  it("tells the agent's other desks of each change their command made, and the commanding desk only by its acknowledgement", async () => {
    // Alice again: her first desk closed above, and a closed desk's agent stays available for a grace period
    const token = await login(t.url, 'alice@demo.local', 'agent-demo');
    const desk = await connectAgent(t.url, token);
    const otherTab = await connectAgent(t.url, token);
    const deskStates: any[] = [];
    const otherTabStates: any[] = [];
    desk.socket.on('contact:state', (e) => deskStates.push(e));
    otherTab.socket.on('contact:state', (e) => otherTabStates.push(e));
    await desk.ack('presence:set', { state: 'available' });

    const visitor = await connectVisitor(t.url);
    const offered = waitForEvent(desk.socket, 'offer');
    await visitor.say('Two tabs open on your side?');
    const offer = await offered;
    expect(await desk.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { state: 'active' } });
    expect(await desk.ack('contact:end', { contactId: offer.contactId })).toEqual({ ok: true });
    const closedElsewhere = waitForEvent(otherTab.socket, 'contact:state', (e) => e.state === 'closed');
    expect(await desk.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
    await closedElsewhere;

    expect(otherTabStates).toEqual([
      { contactId: offer.contactId, state: 'active', reason: 'accepted' },
      { contactId: offer.contactId, state: 'wrap_up', reason: 'ended_by_agent' },
      { contactId: offer.contactId, state: 'closed', reason: 'wrap_up_done' },
    ]);
    // a socket's events arrive in the order the server sent them, so anything sent to the commanding
    // desk about its own commands would have arrived before their acknowledgements
    expect(deskStates).toEqual([]);

    desk.close();
    otherTab.close();
    visitor.close();
  });
});
