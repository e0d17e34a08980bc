import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, type VisitorClient } from './support/clients';
import {
  accept,
  expectEvent,
  AdminApi,
  AGENT_PASSWORD,
  type AgentSpec,
  chatLoad,
  contactRow,
  type DeskAgent,
  finish,
  openContact,
  record,
  setAvailable,
  setPresence,
  unique,
  watchFor,
} from './support/routing-kit';

/**
 * The routing policy end to end: the real API and worker on a fresh database, agents on the desk
 * socket, visitors on the web-chat socket. Each test builds its own queues and agents, so what one
 * leaves waiting cannot reach another's agents.
 */
describe('routing policy', () => {
  let t: TestApp;
  let admin: AdminApi;
  const open: { close(): void }[] = [];

  const visitor = async (token?: string): Promise<VisitorClient> => {
    const v = await connectVisitor(t.url, token);
    open.push(v);
    return v;
  };
  const desk = async (spec: AgentSpec & { available?: boolean } = {}): Promise<DeskAgent> => {
    const a = await admin.deskAgent(spec);
    open.push(a);
    return a;
  };
  const queuedAt = async (contactId: string) =>
    Number((await t.db.query(`SELECT extract(epoch FROM queued_at) * 1000 AS ms FROM contacts WHERE id = $1`, [contactId])).rows[0].ms);

  beforeAll(async () => {
    t = await startApp({ env: { OFFER_TIMEOUT_SECONDS: '15' } });
    admin = await AdminApi.signIn(t.url);
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it('offers a queue needing billing 4 only to an agent with billing 4', async () => {
    const queue = await admin.createQueue({ requiredSkills: { billing: 4 } });
    const low = await desk({ skills: { billing: 2 }, queueIds: [queue.id], available: true });
    const high = await desk({ skills: { billing: 4 }, queueIds: [queue.id] });

    const v = await visitor();
    const offersToLow = watchFor(low.socket, 'offer', 2500);
    await v.say('my invoice is wrong', { queue: queue.name });
    const contact = await openContact(t.db, v);
    // the low-skilled agent is available and idle through several matching passes, and still gets nothing
    expect(await offersToLow).toEqual([]);
    expect((await contactRow(t.db, contact.id)).state).toBe('queued');

    const offer = expectEvent(high.socket, 'offer', (o) => o.contactId === contact.id);
    await setAvailable(high);
    expect(await offer).toMatchObject({ contactId: contact.id, queue: { id: queue.id } });
  });

  it('lets a lower-skilled agent take the contact once a step relaxes the skill, and logs the decision', async () => {
    const queue = await admin.createQueue({ requiredSkills: { billing: 4 }, steps: [{ afterSeconds: 2, requiredSkills: { billing: 2 } }] });
    const low = await desk({ skills: { billing: 2 }, queueIds: [queue.id], available: true });
    // the only agent skilled enough is away, and a novice is too junior even for the relaxed step
    const expert = await desk({ skills: { billing: 5 }, queueIds: [queue.id] });
    await desk({ skills: { billing: 1 }, queueIds: [queue.id], available: true });

    const v = await visitor();
    const offer = expectEvent(low.socket, 'offer');
    await v.say('I was charged twice', { queue: queue.name });
    const contact = await openContact(t.db, v);
    const o = await offer;
    const waited = Date.now() - (await queuedAt(contact.id));
    expect(o.contactId).toBe(contact.id);
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(6000);

    const log = await admin.routing(contact.id);
    const offered = log.filter((e) => e.type === 'offered');
    expect(offered).toHaveLength(1);
    expect(offered[0].reason).toBe('longest_idle_then_least_occupied');
    expect(offered[0].data).toMatchObject({ step: 1, agentId: low.id, offerId: o.offerId, queueId: queue.id, reason: 'longest_idle_then_least_occupied' });
    expect(offered[0].data.candidates.map((c: { agentId: string }) => c.agentId)).toEqual([low.id]);
    expect(offered[0].data.ineligible).toEqual({ not_available: 1, missing_skill: 1 });
    expect(expert.initialState.presence).toBe('offline');
  });

  /** One busy agent at chat capacity 1, two standard customers and then a VIP waiting. */
  async function priorityScene(): Promise<{ solo: DeskAgent; queueName: string; held: string; standard: VisitorClient[] }> {
    const queue = await admin.createQueue({ priorityPolicy: { tiers: { vip: 100 } } });
    const solo = await desk({ capacity: { chat: 1 }, queueIds: [queue.id], available: true });
    const first = await visitor();
    const firstOffer = expectEvent(solo.socket, 'offer');
    await first.say('first in line', { queue: queue.name });
    const held = await accept(solo, (await firstOffer).offerId);
    const standard: VisitorClient[] = [];
    for (const text of ['standard one', 'standard two']) {
      const v = await visitor();
      await v.say(text, { queue: queue.name });
      await openContact(t.db, v);
      standard.push(v);
    }
    return { solo, queueName: queue.name, held: held.contactId, standard };
  }

  /** Frees the agent, then takes each offer in turn; returns the contact ids in the order offered. */
  async function drain(solo: DeskAgent, held: string, count: number): Promise<string[]> {
    const order: string[] = [];
    let current = held;
    for (let i = 0; i < count; i++) {
      const next = expectEvent(solo.socket, 'offer');
      await finish(solo, current);
      const o = await next;
      order.push(o.contactId);
      await accept(solo, o.offerId);
      current = o.contactId;
    }
    await finish(solo, current);
    return order;
  }

  it('offers a VIP customer first when the agent frees up, then the standard ones in arrival order', async () => {
    const { solo, queueName, held, standard } = await priorityScene();
    // the VIP is known before writing: their customer record and web-chat identity exist already
    const vip = await visitor();
    const customer = (await t.db.query(`INSERT INTO customers (name, tier) VALUES ('Vera VIP', 'vip') RETURNING id`)).rows[0].id;
    await t.db.query(`INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, 'webchat', $2)`, [customer, vip.visitorId]);
    await vip.say('I am a VIP', { queue: queueName });
    const vipContact = await openContact(t.db, vip);
    expect(vipContact.customer_id).toBe(customer);

    const s1 = await openContact(t.db, standard[0]);
    const s2 = await openContact(t.db, standard[1]);
    expect(await drain(solo, held, 3)).toEqual([vipContact.id, s1.id, s2.id]);
    const offered = (await admin.routing(vipContact.id)).find((e) => e.type === 'offered')!;
    expect(offered.data.score).toBeGreaterThanOrEqual(100);
  });

  it('offers a customer made VIP (PATCH /customers/:id) while waiting before the standard ones', async () => {
    const { solo, queueName, held, standard } = await priorityScene();
    const vip = await visitor();
    await vip.say('upgrade me', { queue: queueName });
    const vipContact = await openContact(t.db, vip);
    await admin.patchCustomer(vipContact.customer_id, { tier: 'vip' });
    expect((await t.db.query(`SELECT tier FROM customers WHERE id = $1`, [vipContact.customer_id])).rows[0].tier).toBe('vip');

    const s1 = await openContact(t.db, standard[0]);
    const s2 = await openContact(t.db, standard[1]);
    expect(await drain(solo, held, 3)).toEqual([vipContact.id, s1.id, s2.id]);
  });

  it('does not let a contact nobody can take hold back a later contact in another queue', async () => {
    // the blocked queue ranks higher, so its contact is first in the matching order
    const blocked = await admin.createQueue({ requiredSkills: { klingon: 5 }, priorityPolicy: { channels: { chat: 50 } } });
    const open2 = await admin.createQueue();
    const agent = await desk({ queueIds: [blocked.id, open2.id] });

    const v1 = await visitor();
    await v1.say('nuqneH', { queue: blocked.name });
    const stuck = await openContact(t.db, v1);
    const v2 = await visitor();
    await v2.say('hello', { queue: open2.name });
    const later = await openContact(t.db, v2);

    const offers = record(agent.socket, 'offer');
    await setAvailable(agent);
    await eventually(async () => offers.length > 0, 10_000, 'an offer to the agent');
    expect(offers[0].contactId).toBe(later.id);
    expect((await contactRow(t.db, stuck.id)).state).toBe('queued');
    expect(offers.map((o) => o.contactId)).not.toContain(stuck.id);
  });

  it('moves a contact to the overflow queue after maxWaitSeconds, where that queue’s agent takes it', async () => {
    const sales = await admin.createQueue({ name: unique('Sales') });
    const support = await admin.createQueue({ name: unique('Support'), maxWaitSeconds: 2, overflowQueueId: sales.id });
    const seller = await desk({ queueIds: [sales.id], available: true });

    const v = await visitor();
    const offer = expectEvent(seller.socket, 'offer');
    await v.say('nobody in support?', { queue: support.name });
    const contact = await openContact(t.db, v);
    expect(contact.queue_id).toBe(support.id);
    const o = await offer;
    const waited = Date.now() - (await queuedAt(contact.id));
    expect(o).toMatchObject({ contactId: contact.id, queue: { id: sales.id } });
    expect(waited).toBeGreaterThanOrEqual(1900);

    const log = await admin.routing(contact.id);
    expect(log.map((e) => e.type)).toEqual(['queued', 'overflowed', 'offered']);
    expect(log[1].data).toEqual({ fromQueueId: support.id, toQueueId: sales.id });
    expect((await contactRow(t.db, contact.id)).queue_id).toBe(sales.id);
  });

  it('lets agents of another queue take the contact from an addQueueIds step on', async () => {
    const helpers = await admin.createQueue();
    const main = await admin.createQueue({ steps: [{ afterSeconds: 2, addQueueIds: [helpers.id] }] });
    const helper = await desk({ queueIds: [helpers.id], available: true });

    const v = await visitor();
    const offer = expectEvent(helper.socket, 'offer');
    await v.say('can anyone help?', { queue: main.name });
    const contact = await openContact(t.db, v);
    const o = await offer;
    const waited = Date.now() - (await queuedAt(contact.id));
    expect(o.contactId).toBe(contact.id);
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(6000);
    const offered = (await admin.routing(contact.id)).find((e) => e.type === 'offered')!;
    expect(offered.data).toMatchObject({ step: 1, agentId: helper.id, queueId: main.id });
  });

  it('offers a returning customer to their last agent first, and to another agent at once when the last one is away', async () => {
    const queue = await admin.createQueue({ stickySeconds: 30 });
    const last = await desk({ queueIds: [queue.id], available: true });
    const other = await desk({ queueIds: [queue.id] });

    const v = await visitor();
    const first = expectEvent(last.socket, 'offer');
    await v.say('hi, first visit', { queue: queue.name });
    const o1 = await first;
    await accept(last, o1.offerId);
    // the other agent becomes available before the last agent finishes: they have been idle longer
    await setAvailable(other);
    await finish(last, o1.contactId);
    const idle = (await t.db.query(`SELECT user_id, idle_since FROM agents WHERE user_id = ANY($1)`, [[last.id, other.id]])).rows;
    const idleSince = (id: string) => new Date(idle.find((r) => r.user_id === id).idle_since).getTime();
    expect(idleSince(other.id)).toBeLessThan(idleSince(last.id));
    v.close();

    const back = await visitor(v.token);
    expect(back.visitorId).toBe(v.visitorId);
    const offersToOther = record(other.socket, 'offer');
    const second = expectEvent(last.socket, 'offer');
    await back.say('it is me again', { queue: queue.name });
    const o2 = await second;
    expect(o2.contactId).not.toBe(o1.contactId);
    expect(offersToOther).toEqual([]);
    const sticky = (await admin.routing(o2.contactId)).find((e) => e.type === 'offered')!;
    expect(sticky.reason).toBe('sticky_last_agent');
    await accept(last, o2.offerId);
    await finish(last, o2.contactId);

    await setPresence(last, 'away');
    const third = expectEvent(other.socket, 'offer');
    const sentAt = Date.now();
    await back.say('and once more', { queue: queue.name });
    const o3 = await third;
    // well inside the 30 s sticky window: nobody waited for the away agent
    expect(Date.now() - sentAt).toBeLessThan(5000);
    const c3 = await contactRow(t.db, o3.contactId);
    expect(c3.customer_id).toBe((await contactRow(t.db, o1.contactId)).customer_id);
    expect((await t.db.query(`SELECT preferred_agent_id FROM contacts WHERE id = $1`, [o3.contactId])).rows[0].preferred_agent_id).toBe(last.id);
  });

  it('tells waiting visitors their place in the queue, in arrival order, and moves them up as contacts are taken', async () => {
    const queue = await admin.createQueue();
    const agent = await desk({ capacity: { chat: 1 }, queueIds: [queue.id] });
    const visitors: VisitorClient[] = [];
    const positions: { contactId: string; position: number; estimatedWaitSeconds: number | null }[][] = [];
    const contacts: string[] = [];
    for (const text of ['first', 'second', 'third']) {
      const v = await visitor();
      positions.push(record(v.socket, 'queue:position'));
      await v.say(`${text} in line`, { queue: queue.name });
      contacts.push((await openContact(t.db, v)).id);
      visitors.push(v);
    }
    const latest = (i: number) => positions[i][positions[i].length - 1];
    await eventually(async () => [1, 2, 3].every((p, i) => latest(i)?.position === p), 10_000, 'positions 1, 2, 3');
    positions.forEach((seen, i) => {
      expect(latest(i)).toEqual({ contactId: contacts[i], position: i + 1, estimatedWaitSeconds: null });
      expect(seen.every((e) => e.contactId === contacts[i])).toBe(true);
    });

    const firstOffer = expectEvent(agent.socket, 'offer');
    await setAvailable(agent);
    const o1 = await firstOffer;
    expect(o1.contactId).toBe(contacts[0]);
    await accept(agent, o1.offerId);
    await eventually(async () => latest(1)?.position === 1 && latest(2)?.position === 2, 10_000, 'the second and third to move up');

    const secondOffer = expectEvent(agent.socket, 'offer');
    await finish(agent, o1.contactId);
    const o2 = await secondOffer;
    expect(o2.contactId).toBe(contacts[1]);
    await eventually(async () => latest(2)?.position === 1, 10_000, 'the third to be next');
    // two offers made in this queue: the estimate now has a flow to go by
    expect(typeof latest(2).estimatedWaitSeconds).toBe('number');
    expect(latest(2).estimatedWaitSeconds).toBeGreaterThanOrEqual(0);
    await accept(agent, o2.offerId);
  });

  it('reports the agent status on connect: offline until available, busy at capacity on every channel', async () => {
    const queue = await admin.createQueue();
    const agent = await desk({ capacity: { voice: 0, chat: 1, sms: 0, email: 0 }, queueIds: [queue.id] });
    expect(agent.initialState).toMatchObject({ agentId: agent.id, presence: 'offline', status: 'offline', offers: [], contacts: [] });

    await setAvailable(agent);
    expect((await agent.ack('agent:state')).state).toMatchObject({ presence: 'available', status: 'available' });

    const v = await visitor();
    const offer = expectEvent(agent.socket, 'offer');
    await v.say('fill them up', { queue: queue.name });
    const o = await offer;
    await accept(agent, o.offerId);
    expect(await chatLoad(t.db, agent.id)).toBe(1);

    // a second tab of the same agent is told the full state on connect
    const again = await connectAgent(t.url, await login(t.url, agent.email, AGENT_PASSWORD));
    open.push(again);
    expect(again.initialState).toMatchObject({ presence: 'available', status: 'busy' });
    expect(again.initialState.contacts.map((c: { contactId: string }) => c.contactId)).toEqual([o.contactId]);

    await finish(agent, o.contactId);
    expect((await agent.ack('agent:state')).state).toMatchObject({ presence: 'available', status: 'available', contacts: [] });
  });

  it('frees every slot of an agent who wraps up several contacts at the same moment, and the router offers them all again', async () => {
    // one statement closes the agent's contacts: it must release one unit of capacity per contact,
    // and the router must hear of all of them, not once per agent
    const queue = await admin.createQueue();
    const agent = await desk({ queueIds: [queue.id], capacity: { chat: 3 }, available: true });
    const offers = record<{ offerId: string; contactId: string }>(agent.socket, 'offer');
    const say = async (text: string) => {
      for (const v of await Promise.all([1, 2, 3].map(() => visitor()))) await v.say(text, { queue: queue.name });
    };
    await say('first three');
    await eventually(async () => offers.length === 3, 10_000, 'three offers');
    const ids = offers.map((o) => o.contactId);
    for (const o of offers) await accept(agent, o.offerId);
    for (const id of ids) expect((await agent.ack('contact:end', { contactId: id })).ok).toBe(true);
    expect(await chatLoad(t.db, agent.id)).toBe(3);

    const idleSince = async () => (await t.db.query(`SELECT idle_since FROM agents WHERE user_id = $1`, [agent.id])).rows[0].idle_since.getTime();
    const idleBefore = await idleSince();
    // the first goes alone; the other two queue behind it into one statement
    const wrapUps = await Promise.all(ids.map((id, i) => agent.ack('contact:wrapup', { contactId: id, disposition: `done ${i}` })));
    expect(wrapUps).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const closed = (await t.db.query(`SELECT id, state, disposition, agent_id FROM contacts WHERE id = ANY($1)`, [ids])).rows;
    expect(ids.map((id) => closed.find((c) => c.id === id))).toEqual(
      ids.map((id, i) => ({ id, state: 'closed', disposition: `done ${i}`, agent_id: null })),
    );
    expect(await chatLoad(t.db, agent.id)).toBe(0);
    expect(await idleSince()).toBeGreaterThan(idleBefore);
    const logged = await t.db.query(`SELECT contact_id, from_state FROM contact_events WHERE contact_id = ANY($1) AND type = 'closed'`, [ids]);
    expect(logged.rows.map((r) => `${ids.indexOf(r.contact_id)} ${r.from_state}`).sort()).toEqual(['0 wrap_up', '1 wrap_up', '2 wrap_up']);

    // the router knows all three slots are free: three new contacts are all offered to this agent
    // (a lost release would hold one back until the next full reload, a minute away)
    await say('next three');
    await eventually(async () => offers.length === 6, 10_000, 'three more offers to the agent');
    for (const o of offers.slice(3)) await accept(agent, o.offerId);
    expect(await chatLoad(t.db, agent.id)).toBe(3);
  });
});

/** Offers that time out in a second, and agents who miss or refuse them. */
describe('routing policy: missed and refused offers', () => {
  let t: TestApp;
  let admin: AdminApi;
  const open: { close(): void }[] = [];
  const COOLDOWN_MS = 4000;

  const visitor = async (): Promise<VisitorClient> => {
    const v = await connectVisitor(t.url);
    open.push(v);
    return v;
  };
  const desk = async (spec: AgentSpec & { available?: boolean } = {}): Promise<DeskAgent> => {
    const a = await admin.deskAgent(spec);
    open.push(a);
    return a;
  };

  beforeAll(async () => {
    t = await startApp({
      env: { OFFER_TIMEOUT_SECONDS: '1', OFFER_MISSES_BEFORE_AWAY: '2', OFFER_REOFFER_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000) },
    });
    admin = await AdminApi.signIn(t.url);
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await t?.close();
  });

  it('sets an agent who ignores two offers in a row away (missed_offers), and the contacts go to another agent', async () => {
    const queue = await admin.createQueue();
    const sleepy = await desk({ capacity: { chat: 1 }, queueIds: [queue.id] });
    const keen = await desk({ queueIds: [queue.id] });

    const contacts: string[] = [];
    for (const text of ['one', 'two']) {
      const v = await visitor();
      await v.say(`question ${text}`, { queue: queue.name });
      contacts.push((await openContact(t.db, v)).id);
    }
    const missed = record(sleepy.socket, 'offer');
    const revoked = record(sleepy.socket, 'offer:revoked');
    const away = expectEvent(sleepy.socket, 'presence:changed', (e) => e.presence === 'away');
    await setAvailable(sleepy);
    expect(await away).toEqual({ presence: 'away', awayReason: 'missed_offers' });
    expect(missed.map((o) => o.contactId).sort()).toEqual([...contacts].sort());
    expect(revoked.map((r) => r.reason)).toEqual(['timeout', 'timeout']);
    const row = (await t.db.query(`SELECT presence, away_reason, missed_offers FROM agents WHERE user_id = $1`, [sleepy.id])).rows[0];
    expect(row).toEqual({ presence: 'away', away_reason: 'missed_offers', missed_offers: 2 });

    // the keen agent takes every offer the moment it comes (offers last a second here)
    const taken: string[] = [];
    keen.socket.on('offer', (o: { offerId: string; contactId: string }) => {
      void keen.ack('offer:accept', { offerId: o.offerId }).then((ack) => ack.ok && taken.push(o.contactId));
    });
    await setAvailable(keen);
    await eventually(async () => taken.length === 2, 10_000, 'both contacts accepted by the other agent');
    expect(taken.sort()).toEqual([...contacts].sort());
    expect(missed).toHaveLength(2);
    const held = (await t.db.query(`SELECT agent_id, state FROM contacts WHERE id = ANY($1)`, [contacts])).rows;
    expect(held).toEqual([
      { agent_id: keen.id, state: 'active' },
      { agent_id: keen.id, state: 'active' },
    ]);
  });

  it('answers accepts, ends and wrap-ups sent at the same moment each with its own contact, never another agent\'s, and takes a command sent twice once', async () => {
    // commands arriving together share one statement per kind: each must still get its own answer
    const queue = await admin.createQueue();
    const agents = await Promise.all([1, 2, 3].map(() => desk({ queueIds: [queue.id], capacity: { chat: 1 }, available: true })));
    const offered = agents.map((a) => expectEvent<{ offerId: string; contactId: string }>(a.socket, 'offer'));
    for (const v of await Promise.all([1, 2, 3].map(() => visitor()))) await v.say('all at once', { queue: queue.name });
    const offers = await Promise.all(offered);
    const ids = offers.map((o) => o.contactId);

    const [first, again, second, third] = await Promise.all([
      agents[0].ack('offer:accept', { offerId: offers[0].offerId }),
      agents[0].ack('offer:accept', { offerId: offers[0].offerId }),
      agents[1].ack('offer:accept', { offerId: offers[1].offerId }),
      agents[2].ack('offer:accept', { offerId: offers[2].offerId }),
    ]);
    expect([first, again, second, third].map((a) => a.ok && a.contact.contactId)).toEqual([ids[0], ids[0], ids[1], ids[2]]);
    for (const [i, agent] of agents.entries()) expect(await contactRow(t.db, ids[i])).toMatchObject({ state: 'active', agent_id: agent.id });

    // the first command goes alone; the rest queue behind it into one statement, a foreign command ahead of the owner's
    const ends = await Promise.all([
      agents[0].ack('contact:end', { contactId: ids[0] }),
      agents[0].ack('contact:end', { contactId: ids[0] }),
      agents[2].ack('contact:end', { contactId: ids[1] }),
      agents[1].ack('contact:end', { contactId: ids[1] }),
    ]);
    // of the same command sent twice, whichever the server reads first ends the contact
    const [once, twice] = ends[0].ok ? [ends[0], ends[1]] : [ends[1], ends[0]];
    expect([once, twice, ends[2], ends[3]]).toMatchObject([{ ok: true }, { ok: false, error: { code: 'invalid_state' } }, { ok: false, error: { code: 'not_found' } }, { ok: true }]);
    // one test client runs one query at a time (pg 9 refuses a query sent while another runs)
    const states: string[] = [];
    for (const id of ids) states.push((await contactRow(t.db, id)).state);
    expect(states).toEqual(['wrap_up', 'wrap_up', 'active']);

    const idleBefore = await idleSince(agents[0].id, agents[1].id);
    const wrapUps = await Promise.all([
      agents[0].ack('contact:wrapup', { contactId: ids[0], disposition: 'resolved' }),
      agents[0].ack('contact:wrapup', { contactId: ids[0], disposition: 'resolved' }),
      agents[2].ack('contact:wrapup', { contactId: ids[1], disposition: 'stolen' }),
      agents[1].ack('contact:wrapup', { contactId: ids[1], disposition: 'sold' }),
    ]);
    const [closed, closedAgain] = wrapUps[0].ok ? [wrapUps[0], wrapUps[1]] : [wrapUps[1], wrapUps[0]];
    // a closed contact is no longer anyone's: the repeat is told it is not theirs, as the foreign agent is
    expect([closed, closedAgain, wrapUps[2], wrapUps[3]]).toMatchObject([
      { ok: true },
      { ok: false, error: { code: 'not_found' } },
      { ok: false, error: { code: 'not_found' } },
      { ok: true },
    ]);
    const after = (await t.db.query(`SELECT id, state, disposition, agent_id FROM contacts WHERE id = ANY($1)`, [ids])).rows;
    expect(ids.map((id) => after.find((c) => c.id === id))).toMatchObject([
      { state: 'closed', disposition: 'resolved', agent_id: null },
      { state: 'closed', disposition: 'sold', agent_id: null },
      { state: 'active', agent_id: agents[2].id },
    ]);
    // the two who closed their only contact are free and idle from now; the third still holds one
    const loads: number[] = [];
    for (const a of agents) loads.push(await chatLoad(t.db, a.id));
    expect(loads).toEqual([0, 0, 1]);
    const idleAfter = await idleSince(agents[0].id, agents[1].id);
    expect(idleAfter.map((at, i) => at > idleBefore[i])).toEqual([true, true]);

    const logged = await t.db.query(
      `SELECT contact_id, type, count(*)::int AS n FROM contact_events WHERE contact_id = ANY($1) AND type IN ('accepted', 'wrap_up', 'closed') GROUP BY 1, 2`,
      [ids],
    );
    expect(logged.rows.map((r) => `${ids.indexOf(r.contact_id)} ${r.type} ${r.n}`).sort()).toEqual([
      '0 accepted 1',
      '0 closed 1',
      '0 wrap_up 1',
      '1 accepted 1',
      '1 closed 1',
      '1 wrap_up 1',
      '2 accepted 1',
    ]);
  });

  const idleSince = async (...agentIds: string[]): Promise<number[]> => {
    const rows = (await t.db.query(`SELECT user_id, idle_since FROM agents WHERE user_id = ANY($1)`, [agentIds])).rows;
    return agentIds.map((id) => rows.find((r) => r.user_id === id).idle_since.getTime());
  };

  it('passes a rejected contact to the next agent and keeps it from the rejecting agent for the cooldown', async () => {
    const queue = await admin.createQueue();
    const first = await desk({ queueIds: [queue.id], available: true });
    const second = await desk({ queueIds: [queue.id], available: true });

    const v = await visitor();
    const offer1 = expectEvent(first.socket, 'offer');
    await v.say('do you speak Welsh?', { queue: queue.name });
    const o1 = await offer1;

    const toSecond = expectEvent(second.socket, 'offer', (o) => o.contactId === o1.contactId);
    const firstOffers = record(first.socket, 'offer');
    expect(await first.ack('offer:reject', { offerId: o1.offerId, reason: 'no Welsh here' })).toEqual({ ok: true });
    const rejectedAt = Date.now();
    const o2 = await toSecond;
    expect(Date.now() - rejectedAt).toBeLessThan(3000);

    // the second agent refuses too: the contact waits, and the first agent gets it back only after the cooldown
    expect(await second.ack('offer:reject', { offerId: o2.offerId, reason: 'nor here' })).toEqual({ ok: true });
    const back = await eventually(async () => firstOffers.find((o) => o.contactId === o1.contactId), 10_000, 'the contact to come back to the first agent');
    expect(Date.now() - rejectedAt).toBeGreaterThanOrEqual(COOLDOWN_MS - 300);
    expect(firstOffers).toHaveLength(1);
    await accept(first, back.offerId);

    const offers = (await t.db.query(`SELECT agent_id, status, reason FROM contact_offers WHERE contact_id = $1 ORDER BY created_at`, [o1.contactId])).rows;
    expect(offers).toEqual([
      { agent_id: first.id, status: 'rejected', reason: 'no Welsh here' },
      { agent_id: second.id, status: 'rejected', reason: 'nor here' },
      { agent_id: first.id, status: 'accepted', reason: null },
    ]);
    const log = await admin.routing(o1.contactId);
    expect(log.filter((e) => e.type === 'rejected').map((e) => [e.actor.id, e.reason])).toEqual([
      [first.id, 'no Welsh here'],
      [second.id, 'nor here'],
    ]);
  });
});
