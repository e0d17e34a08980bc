import { startApp, type TestApp } from './support/app';
import { connectVisitor } from './support/clients';
import { AdminApi, accept, eventTypes, expectEvent } from './support/routing-kit';

/** A warm transfer nobody takes must not hang forever: it fails back to the first agent. */
describe('the transfer window', () => {
  let t: TestApp;
  let admin: AdminApi;
  beforeAll(async () => {
    t = await startApp({ env: { TRANSFER_WINDOW_SECONDS: '1.5' } });
    admin = await AdminApi.signIn(t.url);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('fails a warm transfer to a queue with no agent free in time, leaving the contact with the first agent', async () => {
    const source = await admin.createQueue({ channels: ['chat'] });
    const empty = await admin.createQueue({ channels: ['chat'] });
    const a = await admin.deskAgent({ queueIds: [source.id], available: true });
    const visitor = await connectVisitor(t.url);
    const offered = expectEvent(a.socket, 'offer');
    await visitor.say('please pass me on', { queue: source.name });
    const offer = await offered;
    await accept(a, offer.offerId);

    const failed = expectEvent(a.socket, 'transfer:failed', (e) => e.contactId === offer.contactId, 10_000);
    expect(await a.ack('contact:transfer', { contactId: offer.contactId, mode: 'warm', toQueueId: empty.id })).toEqual({ ok: true });
    expect(await failed).toEqual({ contactId: offer.contactId, reason: 'not_accepted' });

    const { rows } = await t.db.query(`SELECT state, agent_id, pending_transfer FROM contacts WHERE id = $1`, [offer.contactId]);
    expect(rows[0]).toEqual({ state: 'active', agent_id: a.id, pending_transfer: null });
    expect(await eventTypes(t.db, offer.contactId)).toEqual(expect.arrayContaining(['transfer_requested', 'transfer_failed']));
    // the contact is the first agent's again, to finish as usual
    expect(await a.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
    a.close();
    visitor.close();
  });
});
