import { randomUUID } from 'node:crypto';
import { InboundService } from '@cc/contacts';
import type { InboundMessageJob } from '@cc/shared';
import { startApp, type TestApp } from './support/app';

/**
 * Two storing transactions at once (two worker processes, or a retry beside a first attempt) for the
 * same new customer: the address locks make the second wait for the first and then see what it wrote,
 * so the customer is created once and the conversation opened once, with no statement failing. It
 * fails if the reads are moved ahead of the locks, or the locks out of the transaction.
 */
describe('storing the first messages of one new customer from two transactions at once', () => {
  let t: TestApp;
  let inbound: InboundService;
  let queueId: string;

  beforeAll(async () => {
    t = await startApp({ parts: ['api'] });
    inbound = t.app.get(InboundService);
    queueId = (await t.db.query(`SELECT id FROM queues WHERE name = 'Support'`)).rows[0].id;
  });
  afterAll(() => t?.close());

  const message = (address: string, text: string): InboundMessageJob => ({
    channel: 'sms',
    address,
    externalId: randomUUID(),
    text,
    queueId,
    receivedAt: Date.now(),
    channelAddress: '+15550000000',
  });

  it('makes one customer and one contact holding both messages, every time', async () => {
    const addresses = Array.from({ length: 20 }, (_, i) => `+1555${String(7000000 + i)}`);
    for (const address of addresses) {
      const results = await Promise.all([inbound.ingestMany([message(address, 'first')]), inbound.ingestMany([message(address, 'second')])]);
      const contactIds = results.map(([r]) => (r.duplicate ? null : r.contact?.id));
      expect(contactIds[0]).toBeTruthy();
      expect(contactIds[1]).toBe(contactIds[0]);
      // exactly one of the two opened the conversation
      expect(results.map(([r]) => !r.duplicate && r.contact !== null && r.opened).sort()).toEqual([false, true]);
    }
    const { rows } = await t.db.query(
      `SELECT i.value AS address, count(DISTINCT cu.id)::int AS customers, count(DISTINCT c.id)::int AS contacts, count(m.id)::int AS messages
         FROM customer_identities i JOIN customers cu ON cu.id = i.customer_id
         LEFT JOIN contacts c ON c.customer_id = cu.id LEFT JOIN messages m ON m.contact_id = c.id
        WHERE i.kind = 'phone' AND i.value = ANY($1) GROUP BY i.value ORDER BY i.value`,
      [addresses],
    );
    expect(rows).toEqual(addresses.map((address) => ({ address, customers: 1, contacts: 1, messages: 2 })));
  });
});
