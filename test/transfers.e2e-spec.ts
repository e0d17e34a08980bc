import { randomUUID } from 'node:crypto';
import { startApp, type TestApp } from './support/app';
import { connectVisitor, eventually, type VisitorClient } from './support/clients';
import {
  accept,
  expectEvent,
  AdminApi,
  type AgentSpec,
  chatLoad,
  contactRow,
  type DeskAgent,
  eventTypes,
  finish,
  record,
  setAvailable,
  setPresence,
  watchFor,
} from './support/routing-kit';

const OFFER_TIMEOUT_MS = 3000;

/**
 * Transfers end to end: an agent hands a live web chat to a queue or a named agent, cold (let go at
 * once) or warm (kept until the second agent accepts). The contact, its messages and its history
 * carry over: it stays the same contact.
 */
describe('transfers', () => {
  let t: TestApp;
  let admin: AdminApi;
  const open: { close(): void }[] = [];

  const desk = async (spec: AgentSpec & { available?: boolean } = {}): Promise<DeskAgent> => {
    const a = await admin.deskAgent(spec);
    open.push(a);
    return a;
  };

  beforeAll(async () => {
    t = await startApp({ env: { OFFER_TIMEOUT_SECONDS: String(OFFER_TIMEOUT_MS / 1000) } });
    admin = await AdminApi.signIn(t.url);
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  /** Agent A of a queue of their own holds a live chat: the customer wrote, A answered. */
  async function held(): Promise<{ a: DeskAgent; v: VisitorClient; contactId: string; home: { id: string; name: string } }> {
    const home = await admin.createQueue();
    const a = await desk({ queueIds: [home.id], available: true });
    const v = await connectVisitor(t.url);
    open.push(v);
    const offer = expectEvent(a.socket, 'offer');
    await v.say('hello, my router is broken', { queue: home.name });
    const o = await offer;
    await accept(a, o.offerId);
    const reply = expectEvent(v.socket, 'message', (m) => m.text === 'hi, A here');
    expect(await a.ack('message:send', { contactId: o.contactId, clientMessageId: randomUUID(), text: 'hi, A here' })).toMatchObject({ ok: true });
    await reply;
    return { a, v, contactId: o.contactId, home };
  }

  const say = async (agent: DeskAgent, contactId: string, text: string) =>
    agent.ack('message:send', { contactId, clientMessageId: randomUUID(), text });

  it('cold to a queue: the contact leaves A at once and is offered to the target queue with its messages', async () => {
    const { a, v, contactId } = await held();
    const target = await admin.createQueue();
    const b = await desk({ queueIds: [target.id], available: true });
    await v.say('and the lights are blinking red');
    await eventually(async () => (await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1`, [contactId])).rows[0].n === 3);

    const released = expectEvent(a.socket, 'contact:released');
    const offerToB = expectEvent(b.socket, 'offer');
    const requeued = expectEvent(v.socket, 'conversation:state', (e) => e.state === 'queued');
    expect(await a.ack('contact:transfer', { contactId, mode: 'cold', toQueueId: target.id })).toEqual({ ok: true });
    expect(await released).toEqual({ contactId, reason: 'transferred' });
    expect(await chatLoad(t.db, a.id)).toBe(0);
    expect(await requeued).toMatchObject({ contactId, state: 'queued', agentName: null });

    const o = await offerToB;
    expect(o).toMatchObject({ contactId, queue: { id: target.id } });
    expect(o.messages.map((m: { text: string }) => m.text)).toEqual(['hello, my router is broken', 'hi, A here', 'and the lights are blinking red']);
    await accept(b, o.offerId);
    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: b.id, queue_id: target.id });

    const fromB = expectEvent(v.socket, 'message', (m) => m.text === 'B here, let me look');
    expect(await say(b, contactId, 'B here, let me look')).toMatchObject({ ok: true });
    await fromB;
    expect(await say(a, contactId, 'A again')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await eventTypes(t.db, contactId)).toEqual(['queued', 'offered', 'accepted', 'transferred', 'offered', 'accepted']);
    const contacts = await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE address = $1`, [v.visitorId]);
    expect(contacts.rows[0].n).toBe(1);
  });

  it('cold to a named agent: offered straight to them though they serve no queue of it', async () => {
    const { a, contactId, home } = await held();
    // a colleague of A in the same queue, idle and free, is passed over for the named agent
    const colleague = await desk({ queueIds: [home.id], available: true });
    const named = await desk({ queueIds: [], available: true });
    const colleagueOffers = record(colleague.socket, 'offer');

    const offer = expectEvent(named.socket, 'offer');
    const released = expectEvent(a.socket, 'contact:released');
    expect(await a.ack('contact:transfer', { contactId, mode: 'cold', toAgentId: named.id })).toEqual({ ok: true });
    await released;
    const o = await offer;
    expect(o.contactId).toBe(contactId);
    await accept(named, o.offerId);
    expect(colleagueOffers).toEqual([]);
    expect(await chatLoad(t.db, a.id)).toBe(0);
    const offered = (await admin.routing(contactId)).filter((e) => e.type === 'offered');
    expect(offered[1].reason).toBe('transfer_to_named_agent');
    expect(offered[1].data.agentId).toBe(named.id);
  });

  it('warm to a named agent: A keeps the contact until B accepts, then B has it', async () => {
    const { a, v, contactId } = await held();
    const b = await desk({ queueIds: [], available: true });

    const offer = expectEvent(b.socket, 'offer');
    expect(await a.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: b.id })).toEqual({ ok: true });
    const o = await offer;
    expect(o.contactId).toBe(contactId);
    expect(o.messages.map((m: { text: string }) => m.text)).toEqual(['hello, my router is broken', 'hi, A here']);

    // until B accepts, A still has the customer
    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: a.id, pending_transfer: expect.objectContaining({ toAgentId: b.id }) });
    const stillA = expectEvent(v.socket, 'message', (m) => m.text === 'bringing in a colleague');
    expect(await say(a, contactId, 'bringing in a colleague')).toMatchObject({ ok: true });
    await stillA;

    const released = expectEvent(a.socket, 'contact:released');
    const toVisitor = expectEvent(v.socket, 'conversation:state', (e) => e.agentName === b.name);
    await accept(b, o.offerId);
    expect(await released).toEqual({ contactId, reason: 'transferred' });
    expect(await toVisitor).toEqual({ contactId, state: 'active', agentName: b.name });
    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: b.id, pending_transfer: null });
    expect(await chatLoad(t.db, a.id)).toBe(0);
    expect(await chatLoad(t.db, b.id)).toBe(1);

    const fromB = expectEvent(v.socket, 'message', (m) => m.text === 'B here');
    expect(await say(b, contactId, 'B here')).toMatchObject({ ok: true });
    await fromB;
    expect(await say(a, contactId, 'A still?')).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const types = await eventTypes(t.db, contactId);
    expect(types.filter((x) => x.startsWith('transfer'))).toEqual(['transfer_requested', 'transfer_offered', 'transfer_accepted']);
    const routing = (await admin.routing(contactId)).map((e) => e.type);
    expect(routing).toEqual(expect.arrayContaining(['transfer_requested', 'transfer_offered', 'transfer_accepted']));
    await finish(b, contactId);
    expect(await chatLoad(t.db, b.id)).toBe(0);
  });

  it('warm to a named agent who lets it time out: A is told, keeps the contact and wraps up normally', async () => {
    const { a, contactId } = await held();
    const b = await desk({ queueIds: [], available: true });

    const offer = expectEvent(b.socket, 'offer');
    const failed = expectEvent(a.socket, 'transfer:failed', () => true, OFFER_TIMEOUT_MS + 10_000);
    expect(await a.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: b.id })).toEqual({ ok: true });
    const o = await offer;
    const revoked = expectEvent(b.socket, 'offer:revoked', (e) => e.offerId === o.offerId, OFFER_TIMEOUT_MS + 10_000);
    expect(await failed).toEqual({ contactId, reason: 'not_accepted' });
    expect(await revoked).toEqual({ offerId: o.offerId, contactId, reason: 'timeout' });

    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: a.id, pending_transfer: null });
    expect(await chatLoad(t.db, a.id)).toBe(1);
    expect(await chatLoad(t.db, b.id)).toBe(0);
    expect(await b.ack('offer:accept', { offerId: o.offerId })).toMatchObject({ ok: false, error: { code: 'offer_expired' } });
    await finish(a, contactId);
    expect(await chatLoad(t.db, a.id)).toBe(0);
    expect(await eventTypes(t.db, contactId)).toEqual([
      'queued',
      'offered',
      'accepted',
      'transfer_requested',
      'transfer_offered',
      'transfer_offer_timeout',
      'transfer_failed',
      'wrap_up',
      'closed',
    ]);
  });

  it('warm cancelled by A: the offered agent gets offer:revoked, A keeps the contact', async () => {
    const { a, v, contactId } = await held();
    const b = await desk({ queueIds: [], available: true });

    const offer = expectEvent(b.socket, 'offer');
    expect(await a.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: b.id })).toEqual({ ok: true });
    const o = await offer;
    const revoked = expectEvent(b.socket, 'offer:revoked');
    expect(await a.ack('contact:transfer-cancel', { contactId })).toEqual({ ok: true });
    expect(await revoked).toEqual({ offerId: o.offerId, contactId, reason: 'transfer_cancelled' });
    expect(await b.ack('offer:accept', { offerId: o.offerId })).toMatchObject({ ok: false, error: { code: 'offer_expired' } });
    expect(await chatLoad(t.db, b.id)).toBe(0);
    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: a.id, pending_transfer: null });
    expect(await a.ack('contact:transfer-cancel', { contactId })).toMatchObject({ ok: false, error: { code: 'invalid_state' } });

    const stillA = expectEvent(v.socket, 'message', (m) => m.text === 'never mind, I will sort it');
    expect(await say(a, contactId, 'never mind, I will sort it')).toMatchObject({ ok: true });
    await stillA;
    expect((await eventTypes(t.db, contactId)).filter((x) => x.startsWith('transfer'))).toEqual([
      'transfer_requested',
      'transfer_offered',
      'transfer_cancelled',
    ]);
    await finish(a, contactId);
  });

  it('warm cancelled before anyone was offered it: nothing is revoked and the target never gets it later', async () => {
    const { a, contactId } = await held();
    const c = await desk({ queueIds: [] });
    await setPresence(c, 'away');
    expect(await a.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: c.id })).toEqual({ ok: true });
    const revoked = record(c.socket, 'offer:revoked');
    expect(await a.ack('contact:transfer-cancel', { contactId })).toEqual({ ok: true });
    const offersToC = watchFor(c.socket, 'offer', 2500);
    await setAvailable(c);
    expect(await offersToC).toEqual([]);
    expect(revoked).toEqual([]);
    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: a.id, pending_transfer: null });
    await finish(a, contactId);
  });

  it('refuses bad transfers with clear error codes and changes nothing', async () => {
    const { a, contactId, home } = await held();
    const target = await admin.createQueue();
    const emailOnly = await admin.createQueue({ channels: ['email'] });
    const b = await desk({ queueIds: [target.id], available: true });
    const offersToB = record(b.socket, 'offer');
    const eventsBefore = await eventTypes(t.db, contactId);

    const cases: [string, DeskAgent, Record<string, unknown>, string][] = [
      ['to yourself', a, { contactId, mode: 'cold', toAgentId: a.id }, 'validation_failed'],
      ['to yourself, warm', a, { contactId, mode: 'warm', toAgentId: a.id }, 'validation_failed'],
      ['to an unknown agent', a, { contactId, mode: 'cold', toAgentId: randomUUID() }, 'not_found'],
      ['to an unknown queue', a, { contactId, mode: 'cold', toQueueId: randomUUID() }, 'unknown_queue'],
      ['to a queue that takes no chat', a, { contactId, mode: 'warm', toQueueId: emailOnly.id }, 'unknown_queue'],
      ['to both a queue and an agent', a, { contactId, mode: 'cold', toQueueId: target.id, toAgentId: b.id }, 'validation_failed'],
      ['to neither', a, { contactId, mode: 'warm' }, 'validation_failed'],
      ['in no known mode', a, { contactId, mode: 'lukewarm', toQueueId: target.id }, 'validation_failed'],
      ['with a malformed agent id', a, { contactId, mode: 'cold', toAgentId: 'bob' }, 'validation_failed'],
      ['on a contact that is not yours', b, { contactId, mode: 'cold', toQueueId: home.id }, 'not_found'],
      ['on a contact that does not exist', a, { contactId: randomUUID(), mode: 'cold', toQueueId: target.id }, 'not_found'],
    ];
    for (const [what, who, payload, code] of cases) {
      const ack = await who.ack('contact:transfer', payload);
      expect({ what, ack }).toMatchObject({ what, ack: { ok: false, error: { code } } });
      expect(ack.error.message.length).toBeGreaterThan(0);
    }
    expect(await b.ack('contact:transfer-cancel', { contactId })).toMatchObject({ ok: false, error: { code: 'not_found' } });

    // a second transfer while a warm one is pending is refused too
    const c = await desk({ queueIds: [] });
    expect(await a.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: c.id })).toEqual({ ok: true });
    expect(await a.ack('contact:transfer', { contactId, mode: 'cold', toQueueId: target.id })).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect(await a.ack('contact:end', { contactId })).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect(await a.ack('contact:transfer-cancel', { contactId })).toEqual({ ok: true });

    expect(await contactRow(t.db, contactId)).toMatchObject({ state: 'active', agent_id: a.id, queue_id: home.id, pending_transfer: null });
    expect(await eventTypes(t.db, contactId)).toEqual([...eventsBefore, 'transfer_requested', 'transfer_cancelled']);
    expect(await chatLoad(t.db, a.id)).toBe(1);
    expect(offersToB).toEqual([]);
    await finish(a, contactId);
  });
});
