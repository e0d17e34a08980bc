import { startApp, type TestApp } from './support/app';
import { connectVisitor, waitForEvent } from './support/clients';
import { AdminApi, eventTypes, expectEvent, openContact } from './support/routing-kit';

/** A queue step that applies the after-hours action: the queue's automatic reply, then its overflow queue. */
describe('the after-hours action of a routing step', () => {
  let t: TestApp;
  let admin: AdminApi;
  beforeAll(async () => {
    t = await startApp();
    admin = await AdminApi.signIn(t.url);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends the automatic reply once, then moves the contact to the overflow queue whose agent takes it', async () => {
    const night = await admin.createQueue({ channels: ['chat'] });
    const day = await admin.createQueue({
      channels: ['chat'],
      overflowQueueId: night.id,
      afterHoursMessage: 'We are closed right now; the night team will pick this up.',
      steps: [{ afterSeconds: 2, action: 'after_hours' }],
    });
    const nightAgent = await admin.deskAgent({ queueIds: [night.id], available: true });

    const visitor = await connectVisitor(t.url);
    const reply = waitForEvent(visitor.socket, 'message', (m) => m.author.type === 'system', 10_000);
    const offer = expectEvent(nightAgent.socket, 'offer', undefined, 15_000);
    await visitor.say('anyone awake?', { queue: day.name });
    const contact = await openContact(t.db, visitor);

    expect(await reply).toMatchObject({ contactId: contact.id, direction: 'outbound', text: 'We are closed right now; the night team will pick this up.' });
    expect(await offer).toMatchObject({ contactId: contact.id, queue: { id: night.id } });
    const types = await eventTypes(t.db, contact.id);
    expect(types.filter((e) => e === 'after_hours_action')).toHaveLength(1);
    expect(types.indexOf('after_hours_action')).toBeLessThan(types.indexOf('overflowed'));
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1 AND author_type = 'system'`, [contact.id]);
    expect(rows[0].n).toBe(1);
    nightAgent.close();
    visitor.close();
  });

  it('keeps the contact waiting in its queue after the reply when there is no overflow queue', async () => {
    const queue = await admin.createQueue({ channels: ['chat'], afterHoursMessage: 'Back at 8.', steps: [{ afterSeconds: 1, action: 'after_hours' }] });
    const visitor = await connectVisitor(t.url);
    const reply = waitForEvent(visitor.socket, 'message', (m) => m.author.type === 'system', 10_000);
    await visitor.say('hello?', { queue: queue.name });
    const contact = await openContact(t.db, visitor);
    expect(await reply).toMatchObject({ text: 'Back at 8.' });
    // a few more passes of the leader must not repeat it
    await new Promise((r) => setTimeout(r, 2500));
    const { rows } = await t.db.query(`SELECT state, queue_id FROM contacts WHERE id = $1`, [contact.id]);
    expect(rows[0]).toEqual({ state: 'queued', queue_id: queue.id });
    expect((await eventTypes(t.db, contact.id)).filter((e) => e === 'after_hours_action')).toHaveLength(1);
    visitor.close();
  });
});
