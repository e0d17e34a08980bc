import { RealtimeService } from '@cc/platform';
import { startApp, type TestApp } from './support/app';
import { eventually } from './support/clients';
import { AdminApi, type DeskAgent, record } from './support/routing-kit';

/**
 * An agent's desk acts on events in the order they happen: an offer, then its revocation; an offer
 * revoked, then the agent set away. Whatever carries the emits between processes (Redis streams or
 * PostgreSQL NOTIFY), what one process emits must reach a socket in the order it was emitted,
 * including events too large for one NOTIFY, which travel through a table.
 */
describe('socket fan-out keeps the order of one process\u2019s emits', () => {
  let t: TestApp;
  let agent: DeskAgent;

  beforeAll(async () => {
    t = await startApp();
    agent = await (await AdminApi.signIn(t.url)).deskAgent();
  });

  afterAll(async () => {
    agent?.close();
    await t?.close();
  });

  it('delivers a burst of small and large events to an agent in the order they were emitted', async () => {
    const realtime = t.app.get(RealtimeService);
    const received = record<{ offerId: string }>(agent.socket, 'offer:revoked');
    const count = 120;
    // every fifth event is over NOTIFY's 8,000-byte payload limit
    const sent = Array.from({ length: count }, (_, i) => ({ offerId: String(i), contactId: i % 5 === 0 ? 'x'.repeat(9000) : 'c', reason: 'timeout' as const }));
    for (const e of sent) void realtime.toAgent(agent.id, 'offer:revoked', e);

    await eventually(async () => received.length === count, 15_000, `all ${count} events`);
    expect(received.map((e) => e.offerId)).toEqual(sent.map((e) => e.offerId));
  });
});
