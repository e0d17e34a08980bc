import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { login } from './support/clients';
import { parseCsv, ReportsHistory } from './support/reports-history';

/**
 * The reports (GET /reports/queues, /agents, /channels, /agent-performance) over a generated history
 * whose every figure is worked out by hand below. The history is written straight into the app's
 * database at fixed past dates, so "now" does not matter.
 *
 * Settings: SHORT_ABANDON_SECONDS=5; Support's service level is 20 s, Sales' 30 s.
 *
 * The history (all times UTC; "wait" = answered_at − created_at; "AHT" = closed_at − answered_at):
 *
 *   day 1, Tuesday 2026-03-10
 *   K1  09:00:00 Support chat  customer C1  Alice answers 09:00:10 (wait 10)  wrap-up 09:05:00  closed 09:06:00 (AHT 350)  CSAT 5
 *   K2  09:10:00 Support chat  C2   offered to Alice, expired 09:10:35; Bob answers 09:10:40 (wait 40)  wrap 09:19:40  closed 09:20:40 (AHT 600)  CSAT 3
 *   K3  09:20:00 Support chat  C3   abandoned 09:20:03 (3 s: a short abandon)
 *   K4  09:30:00 Support chat  C4   abandoned 09:31:00 (wait 60)
 *   K5  09:40:00 Sales   sms   C5   Alice answers 09:40:25 (wait 25)  wrap 09:49:25  closed 09:50:25 (AHT 600)
 *   K11 09:44:00 Sales   chat  C9   Alice answers 09:45:00 (wait 60)  wrap 09:50:00  closed 09:55:00 (AHT 600)  CSAT 4   (overlaps K5)
 *   K7  10:00:00 chat  C6   arrives in Support, Bob answers 10:00:05 (wait 5), cold-transfers to Sales 10:03:00,
 *                           Alice accepts 10:03:20, wrap 10:08:00, closed 10:09:05 (AHT 520: Bob 175 s + Alice 345 s, not the 20 s back in the queue)  CSAT 4   → queue Sales, agent Alice, 1 transfer
 *   K8  10:15:00 Support sms   C7   abandoned 10:15:30 (wait 30)
 *   K14 10:20:00 Support chat  C12  Bob answers 10:20:10 (wait 10), warm transfer to Alice requested 10:25:00, Alice accepts 10:25:30,
 *                           wrap 10:29:00, closed 10:30:00 (AHT 590)   → agent Alice, 1 transfer
 *   K6  14:00:00 Support chat  C1   Bob answers 14:00:15 (wait 15)  wrap 14:09:15  closed 14:10:15 (AHT 600)  CSAT 2
 *                           (C1 again 4h54m after K1 closed: K1 is not resolved first time)
 *   day 2, Wednesday 2026-03-11
 *   K10 03:30:00 Support sms   C8   Bob answers 03:30:20 (wait 20: exactly the threshold)  wrap 03:39:20  closed 03:40:20 (AHT 600)  CSAT 5
 *                           (03:30Z is 23:30 on 2026-03-10 in New York, EDT −04:00)
 *   K9  15:00:00 Support chat  C1   Alice answers 15:00:30 (wait 30)  wrap 15:04:30  closed 15:05:30 (AHT 300)
 *                           (24h49m45s after K6 closed: a repeat only with a window longer than 24 h)
 *
 * Presence timelines (the seeded log rows are deleted first):
 *   Alice  d1 08:30 available, 10:30 away (lunch), 11:15 offline;  d2 14:55 available, 16:00 offline
 *   Bob    d1 08:55 available, 09:30 away (break), 09:45 available, 10:45 offline, 13:55 available, 14:30 offline;
 *          d2 03:25 available, 03:45 offline
 */
describe('reports', () => {
  let t: TestApp;
  let h: ReportsHistory;
  let supervisor: string;
  let agentToken: string;
  let supportId: string;
  let salesId: string;
  let nightId: string;
  let aliceId: string;
  let bobId: string;

  const d1 = (hms: string) => `2026-03-10T${hms}Z`;
  const d2 = (hms: string) => `2026-03-11T${hms}Z`;
  const d3 = (hms: string) => `2026-03-12T${hms}Z`;
  const DAYS = { from: '2026-03-10T00:00:00Z', to: '2026-03-12T00:00:00Z' };

  beforeAll(async () => {
    t = await startApp({ env: { SHORT_ABANDON_SECONDS: '5', DEFAULT_TIME_ZONE: 'UTC' }, parts: ['api'] });
    h = new ReportsHistory(t.db);
    supervisor = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    agentToken = await login(t.url, 'alice@demo.local', 'agent-demo');
    const id = async (sql: string, arg: string) => (await t.db.query(sql, [arg])).rows[0].id as string;
    supportId = await id(`SELECT id FROM queues WHERE name = $1`, 'Support');
    salesId = await id(`SELECT id FROM queues WHERE name = $1`, 'Sales');
    aliceId = await id(`SELECT id FROM users WHERE email = $1`, 'alice@demo.local');
    bobId = await id(`SELECT id FROM users WHERE email = $1`, 'bob@demo.local');
    await t.db.query(`UPDATE queues SET service_level_seconds = 20 WHERE id = $1`, [supportId]);
    await t.db.query(`UPDATE queues SET service_level_seconds = 30 WHERE id = $1`, [salesId]);

    const c: Record<string, string> = {};
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) c[`C${n}`] = await h.customer(`Customer ${n}`);

    // K1: answered within 20 s by Alice; C1 comes back the same afternoon (K6)
    const k1 = await h.contact({ customerId: c.C1, channel: 'chat', address: 'visitor-c1', queueId: supportId, state: 'closed', createdAt: d1('09:00:00'), answeredAt: d1('09:00:10'), closedAt: d1('09:06:00'), csat: 5 });
    await h.accept(k1, aliceId, d1('09:00:10'));
    await h.wrapUpAndClose(k1, aliceId, d1('09:05:00'), d1('09:06:00'));

    // K2: Alice lets the offer expire, Bob answers after 40 s (beyond 20 s)
    const k2 = await h.contact({ customerId: c.C2, channel: 'chat', address: 'visitor-c2', queueId: supportId, state: 'closed', createdAt: d1('09:10:00'), answeredAt: d1('09:10:40'), closedAt: d1('09:20:40'), csat: 3 });
    await h.offer(k2, aliceId, d1('09:10:35'), { status: 'expired', offeredAt: d1('09:10:05') });
    await h.event(k2, 'offer_timeout', d1('09:10:35'), { type: 'system' }, { from: 'offered', to: 'queued', reason: 'timeout' });
    await h.accept(k2, bobId, d1('09:10:40'));
    await h.wrapUpAndClose(k2, bobId, d1('09:19:40'), d1('09:20:40'));

    // K3: gone after 3 s, a short abandon; K4: gone after 60 s
    const k3 = await h.contact({ customerId: c.C3, channel: 'chat', address: 'visitor-c3', queueId: supportId, state: 'abandoned', createdAt: d1('09:20:00'), closedAt: d1('09:20:03') });
    await h.event(k3, 'abandoned', d1('09:20:03'), { type: 'customer' }, { from: 'queued', to: 'abandoned', reason: 'customer_left' });
    const k4 = await h.contact({ customerId: c.C4, channel: 'chat', address: 'visitor-c4', queueId: supportId, state: 'abandoned', createdAt: d1('09:30:00'), closedAt: d1('09:31:00') });
    await h.event(k4, 'abandoned', d1('09:31:00'), { type: 'customer' }, { from: 'queued', to: 'abandoned', reason: 'customer_left' });

    // K5 and K11: Alice holds two Sales contacts at once (09:45:00-09:50:25), their wrap-ups overlap too (09:50:00-09:50:25)
    const k5 = await h.contact({ customerId: c.C5, channel: 'sms', address: '+15550000005', queueId: salesId, state: 'closed', createdAt: d1('09:40:00'), answeredAt: d1('09:40:25'), closedAt: d1('09:50:25') });
    await h.accept(k5, aliceId, d1('09:40:25'));
    await h.wrapUpAndClose(k5, aliceId, d1('09:49:25'), d1('09:50:25'));
    const k11 = await h.contact({ customerId: c.C9, channel: 'chat', address: 'visitor-c9', queueId: salesId, state: 'closed', createdAt: d1('09:44:00'), answeredAt: d1('09:45:00'), closedAt: d1('09:55:00'), csat: 4 });
    await h.accept(k11, aliceId, d1('09:45:00'));
    await h.wrapUpAndClose(k11, aliceId, d1('09:50:00'), d1('09:55:00'));

    // K7: Bob answers in Support and cold-transfers to Sales, where Alice takes it (the contact's queue is now Sales)
    const k7 = await h.contact({ customerId: c.C6, channel: 'chat', address: 'visitor-c6', queueId: salesId, state: 'closed', createdAt: d1('10:00:00'), answeredAt: d1('10:00:05'), closedAt: d1('10:09:05'), csat: 4 });
    await h.accept(k7, bobId, d1('10:00:05'));
    await h.event(k7, 'transferred', d1('10:03:00'), { type: 'agent', id: bobId }, { from: 'active', to: 'queued', reason: 'cold_transfer', data: { mode: 'cold', fromAgentId: bobId, toQueueId: salesId, toAgentId: null } });
    await h.accept(k7, aliceId, d1('10:03:20'));
    await h.wrapUpAndClose(k7, aliceId, d1('10:08:00'), d1('10:09:05'));

    // K8: an SMS customer gives up after 30 s
    const k8 = await h.contact({ customerId: c.C7, channel: 'sms', address: '+15550000007', queueId: supportId, state: 'abandoned', createdAt: d1('10:15:00'), closedAt: d1('10:15:30') });
    await h.event(k8, 'abandoned', d1('10:15:30'), { type: 'customer' }, { from: 'queued', to: 'abandoned', reason: 'customer_left' });

    // K14: Bob answers, warm-transfers to Alice, who accepts 10:25:30 and finishes it
    const k14 = await h.contact({ customerId: c.C12, channel: 'chat', address: 'visitor-c12', queueId: supportId, state: 'closed', createdAt: d1('10:20:00'), answeredAt: d1('10:20:10'), closedAt: d1('10:30:00') });
    await h.accept(k14, bobId, d1('10:20:10'));
    await h.event(k14, 'transfer_requested', d1('10:25:00'), { type: 'agent', id: bobId }, { reason: 'warm_transfer', data: { mode: 'warm', fromAgentId: bobId, toAgentId: aliceId } });
    await h.accept(k14, aliceId, d1('10:25:30'), 'transfer');
    await h.wrapUpAndClose(k14, aliceId, d1('10:29:00'), d1('10:30:00'));

    // K6: C1's repeat contact
    const k6 = await h.contact({ customerId: c.C1, channel: 'chat', address: 'visitor-c1', queueId: supportId, state: 'closed', createdAt: d1('14:00:00'), answeredAt: d1('14:00:15'), closedAt: d1('14:10:15'), csat: 2 });
    await h.accept(k6, bobId, d1('14:00:15'));
    await h.wrapUpAndClose(k6, bobId, d1('14:09:15'), d1('14:10:15'));

    // K10: day 2 at 03:30Z, answered after exactly 20 s
    const k10 = await h.contact({ customerId: c.C8, channel: 'sms', address: '+15550000008', queueId: supportId, state: 'closed', createdAt: d2('03:30:00'), answeredAt: d2('03:30:20'), closedAt: d2('03:40:20'), csat: 5 });
    await h.accept(k10, bobId, d2('03:30:20'));
    await h.wrapUpAndClose(k10, bobId, d2('03:39:20'), d2('03:40:20'));

    // K9: C1 again, more than 24 h after K6 closed
    const k9 = await h.contact({ customerId: c.C1, channel: 'chat', address: 'visitor-c1', queueId: supportId, state: 'closed', createdAt: d2('15:00:00'), answeredAt: d2('15:00:30'), closedAt: d2('15:05:30') });
    await h.accept(k9, aliceId, d2('15:00:30'));
    await h.wrapUpAndClose(k9, aliceId, d2('15:04:30'), d2('15:05:30'));

    // K12 (day 3, only for the handled-count test): Alice answers, cold-transfers to Sales, takes it again there and closes it
    const k12 = await h.contact({ customerId: c.C10, channel: 'chat', address: 'visitor-c10', queueId: salesId, state: 'closed', createdAt: d3('12:00:00'), answeredAt: d3('12:00:10'), closedAt: d3('12:06:00') });
    await h.accept(k12, aliceId, d3('12:00:10'));
    await h.event(k12, 'transferred', d3('12:02:00'), { type: 'agent', id: aliceId }, { from: 'active', to: 'queued', reason: 'cold_transfer', data: { mode: 'cold', fromAgentId: aliceId, toQueueId: salesId, toAgentId: null } });
    await h.accept(k12, aliceId, d3('12:02:30'));
    await h.wrapUpAndClose(k12, aliceId, d3('12:05:00'), d3('12:06:00'));

    // K13 (day 3, only for the transferred-then-abandoned test): Bob answers in Support 13:00:05, cold-transfers to Sales
    // 13:01:00, and the customer leaves while queued again at 13:02:00 (the product then sets state 'abandoned' and
    // closed_at, and keeps answered_at: contact-lifecycle.service.ts customerLeft)
    const k13 = await h.contact({ customerId: c.C11, channel: 'chat', address: 'visitor-c11', queueId: salesId, state: 'abandoned', createdAt: d3('13:00:00'), answeredAt: d3('13:00:05'), closedAt: d3('13:02:00') });
    await h.accept(k13, bobId, d3('13:00:05'));
    await h.event(k13, 'transferred', d3('13:01:00'), { type: 'agent', id: bobId }, { from: 'active', to: 'queued', reason: 'cold_transfer', data: { mode: 'cold', fromAgentId: bobId, toQueueId: salesId, toAgentId: null } });
    await h.event(k13, 'abandoned', d3('13:02:00'), { type: 'customer' }, { from: 'queued', to: 'abandoned', reason: 'customer_left' });

    // L1, L2 (only for the daylight-saving ordering test): Europe/London falls back at 2025-10-26 01:00Z,
    // so 00:30Z is 01:30 BST (+01:00) and 01:30Z is 01:30 GMT (+00:00)
    for (const [cust, at, end] of [
      ['C13', '2025-10-26T00:30:00Z', '2025-10-26T00:30:10Z'],
      ['C14', '2025-10-26T01:30:00Z', '2025-10-26T01:30:10Z'],
    ]) {
      const l = await h.contact({ customerId: c[cust], channel: 'chat', address: `visitor-${cust}`, queueId: supportId, state: 'abandoned', createdAt: at, closedAt: end });
      await h.event(l, 'abandoned', end, { type: 'customer' }, { from: 'queued', to: 'abandoned', reason: 'customer_left' });
    }

    // the calendar case (2026-03-17, a Tuesday): a queue open Tuesdays 09:00-17:00 UTC; N1 arrives 08:50, answered 09:00:15
    const cal = await t.db.query(`INSERT INTO calendars (name, definition) VALUES ('Reports weekdays', $1) RETURNING id`, [
      JSON.stringify({ timeZone: 'UTC', weekly: [{ day: 'tue', open: '09:00', close: '17:00' }], holidays: [], overrides: [] }),
    ]);
    nightId = (
      await t.db.query(
        `INSERT INTO queues (name, service_level_seconds, calendar_id, service_level_pauses_when_closed) VALUES ('Night desk', 20, $1, true) RETURNING id`,
        [cal.rows[0].id],
      )
    ).rows[0].id;
    const n1 = await h.contact({ customerId: c.C15, channel: 'chat', address: 'visitor-c15', queueId: nightId, state: 'closed', createdAt: '2026-03-17T08:50:00Z', answeredAt: '2026-03-17T09:00:15Z', closedAt: '2026-03-17T09:05:15Z' });
    await h.accept(n1, aliceId, '2026-03-17T09:00:15Z');
    await h.wrapUpAndClose(n1, aliceId, '2026-03-17T09:04:15Z', '2026-03-17T09:05:15Z');

    await h.presenceTimeline(aliceId, [
      [d1('08:30:00'), 'available'],
      [d1('10:30:00'), 'away', 'lunch'],
      [d1('11:15:00'), 'offline'],
      [d2('14:55:00'), 'available'],
      [d2('16:00:00'), 'offline'],
      [d3('11:55:00'), 'available'],
      [d3('12:30:00'), 'offline'],
    ]);
    await h.presenceTimeline(bobId, [
      [d1('08:55:00'), 'available'],
      [d1('09:30:00'), 'away', 'break'],
      [d1('09:45:00'), 'available'],
      [d1('10:45:00'), 'offline'],
      [d1('13:55:00'), 'available'],
      [d1('14:30:00'), 'offline'],
      [d2('03:25:00'), 'available'],
      [d2('03:45:00'), 'offline'],
    ]);
  });

  afterAll(async () => {
    await t?.close();
  });

  const report = (path: string, query: Record<string, string | number>, token: string | null = supervisor) => {
    const r = request(t.url).get(path).query(query);
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };
  const json = async (path: string, query: Record<string, string | number>) => {
    const res = await report(path, query);
    expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
    return res.body;
  };
  const support = () => ({ id: supportId, name: 'Support' });
  const sales = () => ({ id: salesId, name: 'Sales' });
  const alice = () => ({ id: aliceId, name: 'Alice Agent' });
  const bob = () => ({ id: bobId, name: 'Bob Agent' });

  /** The contact-metric columns, in the order the API gives them (and the CSV header lists them). */
  const METRIC_COLUMNS = [
    'offered',
    'answered',
    'abandoned',
    'shortAbandoned',
    'averageWaitSeconds',
    'maxWaitSeconds',
    'averageSpeedOfAnswerSeconds',
    'averageHandleTimeSeconds',
    'serviceLevelPercent',
    'transfers',
    'firstContactResolutionPercent',
    'csatAverage',
    'csatResponses',
  ];

  describe('contact reports', () => {
    it('by queue, hourly in UTC: every figure of every row', async () => {
      const expected = [
        {
          intervalStart: '2026-03-10T09:00:00.000Z',
          group: sales(), // K5, K11
          offered: 2,
          answered: 2,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 42.5, // (25 + 60) / 2
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 42.5, // (25 + 60) / 2
          averageHandleTimeSeconds: 600, // (600 + 600) / 2
          serviceLevelPercent: 50, // K5 25 ≤ 30, K11 60 > 30 → 1 / 2
          transfers: 0,
          firstContactResolutionPercent: 100, // C5, C9 never came back
          csatAverage: 4, // K11 only
          csatResponses: 1,
        },
        {
          intervalStart: '2026-03-10T09:00:00.000Z',
          group: support(), // K1, K2, K3 (short abandon), K4 (abandon)
          offered: 4,
          answered: 2,
          abandoned: 1,
          shortAbandoned: 1,
          averageWaitSeconds: 36.67, // (10 + 40 + 60) / 3 = 36.666…; the short abandon is left out
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 25, // (10 + 40) / 2
          averageHandleTimeSeconds: 475, // (350 + 600) / 2
          serviceLevelPercent: 33.33, // K1 within; K2 (40 s) not; base answered 2 + abandoned 1 → 1 / 3
          transfers: 0,
          firstContactResolutionPercent: 50, // K1 repeated by K6 within 24 h; K2 resolved → 1 / 2
          csatAverage: 4, // (5 + 3) / 2
          csatResponses: 2,
        },
        {
          intervalStart: '2026-03-10T10:00:00.000Z',
          group: sales(), // K7, transferred into Sales
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 5,
          maxWaitSeconds: 5,
          averageSpeedOfAnswerSeconds: 5, // first answer (Bob, 10:00:05)
          averageHandleTimeSeconds: 520, // Bob 10:00:05–10:03:00 (175) + Alice 10:03:20–10:09:05 (345)
          serviceLevelPercent: 100, // 5 ≤ 30 (Sales' threshold: the contact's queue is now Sales)
          transfers: 1,
          firstContactResolutionPercent: 100,
          csatAverage: 4,
          csatResponses: 1,
        },
        {
          intervalStart: '2026-03-10T10:00:00.000Z',
          group: support(), // K8 (abandon), K14 (warm transfer)
          offered: 2,
          answered: 1,
          abandoned: 1,
          shortAbandoned: 0,
          averageWaitSeconds: 20, // (30 + 10) / 2
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 10,
          averageHandleTimeSeconds: 590, // 10:30:00 − 10:20:10
          serviceLevelPercent: 50, // K14 within; base 1 + 1
          transfers: 1, // K14's transfer_accepted
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
        {
          intervalStart: '2026-03-10T14:00:00.000Z',
          group: support(), // K6
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 15,
          maxWaitSeconds: 15,
          averageSpeedOfAnswerSeconds: 15,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 100,
          transfers: 0,
          firstContactResolutionPercent: 100, // K9 comes 24h49m45s after K6 closed: outside 24 h
          csatAverage: 2,
          csatResponses: 1,
        },
        {
          intervalStart: '2026-03-11T03:00:00.000Z',
          group: support(), // K10
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 20,
          maxWaitSeconds: 20,
          averageSpeedOfAnswerSeconds: 20,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 100, // 20 ≤ 20: the threshold itself is within
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 5,
          csatResponses: 1,
        },
        {
          intervalStart: '2026-03-11T15:00:00.000Z',
          group: support(), // K9
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30,
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 30,
          averageHandleTimeSeconds: 300,
          serviceLevelPercent: 0, // 30 > 20
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
      ];
      expect(await json('/reports/queues', { ...DAYS, interval: '1h', timeZone: 'UTC' })).toEqual(expected);
      // the defaults: interval 1h, DEFAULT_TIME_ZONE (UTC), format json
      expect(await json('/reports/queues', DAYS)).toEqual(expected);
    });

    it('by queue, daily in UTC', async () => {
      expect(await json('/reports/queues', { ...DAYS, interval: '1d', timeZone: 'UTC' })).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: sales(), // K5, K11, K7
          offered: 3,
          answered: 3,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30, // (25 + 60 + 5) / 3
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 30, // (25 + 60 + 5) / 3
          averageHandleTimeSeconds: 573.33, // (600 + 600 + 520) / 3 = 1720 / 3
          serviceLevelPercent: 66.67, // K5, K7 within 30 s; K11 not → 2 / 3
          transfers: 1,
          firstContactResolutionPercent: 100,
          csatAverage: 4, // (4 + 4) / 2
          csatResponses: 2,
        },
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: support(), // K1, K2, K3, K4, K8, K14, K6
          offered: 7,
          answered: 4, // K1, K2, K14, K6
          abandoned: 2, // K4, K8
          shortAbandoned: 1, // K3
          averageWaitSeconds: 27.5, // (10 + 40 + 10 + 15 + 60 + 30) / 6 = 165 / 6
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 18.75, // (10 + 40 + 10 + 15) / 4 = 75 / 4
          averageHandleTimeSeconds: 535, // (350 + 600 + 590 + 600) / 4 = 2140 / 4
          serviceLevelPercent: 50, // K1, K14, K6 within → 3 / (4 answered + 2 abandoned)
          transfers: 1, // K14
          firstContactResolutionPercent: 75, // K1 repeated → 3 / 4
          csatAverage: 3.33, // (5 + 3 + 2) / 3 = 3.333…
          csatResponses: 3,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000Z',
          group: support(), // K10, K9
          offered: 2,
          answered: 2,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 25, // (20 + 30) / 2
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 25,
          averageHandleTimeSeconds: 450, // (600 + 300) / 2
          serviceLevelPercent: 50, // K10 20 ≤ 20; K9 30 > 20
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 5,
          csatResponses: 1,
        },
      ]);
    });

    it('by agent, daily: a contact belongs to the agent who accepted it last; unanswered contacts to nobody', async () => {
      expect(await json('/reports/agents', { ...DAYS, interval: '1d' })).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: alice(), // K1, K5, K11, K7 (after Bob's cold transfer), K14 (after Bob's warm transfer)
          offered: 5,
          answered: 5,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 22, // (10 + 25 + 60 + 5 + 10) / 5 = 110 / 5
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 22,
          averageHandleTimeSeconds: 532, // (350 + 600 + 600 + 520 + 590) / 5 = 2660 / 5
          serviceLevelPercent: 80, // K1 10≤20, K5 25≤30, K7 5≤30, K14 10≤20 within; K11 60>30 → 4 / 5
          transfers: 2, // K7, K14
          firstContactResolutionPercent: 80, // K1 repeated → 4 / 5
          csatAverage: 4.33, // (5 + 4 + 4) / 3 = 4.333…
          csatResponses: 3,
        },
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: bob(), // K2, K6
          offered: 2,
          answered: 2,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 27.5, // (40 + 15) / 2
          maxWaitSeconds: 40,
          averageSpeedOfAnswerSeconds: 27.5,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 50, // K6 within, K2 not
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 2.5, // (3 + 2) / 2
          csatResponses: 2,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000Z',
          group: alice(), // K9
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30,
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 30,
          averageHandleTimeSeconds: 300,
          serviceLevelPercent: 0,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000Z',
          group: bob(), // K10
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 20,
          maxWaitSeconds: 20,
          averageSpeedOfAnswerSeconds: 20,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 100,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 5,
          csatResponses: 1,
        },
      ]);
    });

    it('by channel, daily', async () => {
      expect(await json('/reports/channels', { ...DAYS, interval: '1d' })).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: { id: 'chat', name: 'chat' }, // K1, K2, K3, K4, K11, K7, K14, K6
          offered: 8,
          answered: 6, // K1, K2, K11, K7, K14, K6
          abandoned: 1, // K4
          shortAbandoned: 1, // K3
          averageWaitSeconds: 28.57, // (10 + 40 + 60 + 5 + 10 + 15 + 60) / 7 = 200 / 7 = 28.571…
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 23.33, // (10 + 40 + 60 + 5 + 10 + 15) / 6 = 140 / 6 = 23.333…
          averageHandleTimeSeconds: 543.33, // (350 + 600 + 600 + 520 + 590 + 600) / 6 = 3260 / 6 = 543.333…
          serviceLevelPercent: 57.14, // K1, K7, K14, K6 within; K2, K11 not; K4 abandoned → 4 / 7 = 57.142…
          transfers: 2,
          firstContactResolutionPercent: 83.33, // K1 repeated → 5 / 6
          csatAverage: 3.6, // (5 + 3 + 4 + 4 + 2) / 5
          csatResponses: 5,
        },
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          group: { id: 'sms', name: 'sms' }, // K5, K8
          offered: 2,
          answered: 1,
          abandoned: 1,
          shortAbandoned: 0,
          averageWaitSeconds: 27.5, // (25 + 30) / 2
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 25,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 50, // K5 within; K8 abandoned
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000Z',
          group: { id: 'chat', name: 'chat' }, // K9
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30,
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 30,
          averageHandleTimeSeconds: 300,
          serviceLevelPercent: 0,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000Z',
          group: { id: 'sms', name: 'sms' }, // K10
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 20,
          maxWaitSeconds: 20,
          averageSpeedOfAnswerSeconds: 20,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 100,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 5,
          csatResponses: 1,
        },
      ]);
    });

    it('daily in America/New_York: a contact at 03:30Z falls into the previous local day', async () => {
      // local days 2026-03-10 and 2026-03-11 (EDT, −04:00: DST began on 2026-03-08)
      const rows = await json('/reports/queues', { from: '2026-03-10T04:00:00Z', to: '2026-03-12T04:00:00Z', interval: '1d', timeZone: 'America/New_York' });
      expect(rows).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000-04:00',
          group: sales(), // as the UTC day: K5, K11, K7
          offered: 3,
          answered: 3,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30,
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 30,
          averageHandleTimeSeconds: 573.33, // as the UTC day: (600 + 600 + 520) / 3
          serviceLevelPercent: 66.67,
          transfers: 1,
          firstContactResolutionPercent: 100,
          csatAverage: 4,
          csatResponses: 2,
        },
        {
          intervalStart: '2026-03-10T00:00:00.000-04:00',
          group: support(), // the UTC day's seven plus K10 (23:30 local)
          offered: 8,
          answered: 5, // K1, K2, K14, K6, K10
          abandoned: 2,
          shortAbandoned: 1,
          averageWaitSeconds: 26.43, // (10 + 40 + 10 + 15 + 20 + 60 + 30) / 7 = 185 / 7 = 26.428…
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 19, // (10 + 40 + 10 + 15 + 20) / 5 = 95 / 5
          averageHandleTimeSeconds: 548, // (350 + 600 + 590 + 600 + 600) / 5 = 2740 / 5
          serviceLevelPercent: 57.14, // K1, K14, K6, K10 within → 4 / (5 + 2) = 57.142…
          transfers: 1,
          firstContactResolutionPercent: 80, // K1 repeated → 4 / 5
          csatAverage: 3.75, // (5 + 3 + 2 + 5) / 4
          csatResponses: 4,
        },
        {
          intervalStart: '2026-03-11T00:00:00.000-04:00',
          group: support(), // K9 (11:00 local)
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 30,
          maxWaitSeconds: 30,
          averageSpeedOfAnswerSeconds: 30,
          averageHandleTimeSeconds: 300,
          serviceLevelPercent: 0,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
      ]);
    });

    it('in 15-minute intervals over one hour', async () => {
      expect(await json('/reports/queues', { from: d1('09:00:00'), to: d1('10:00:00'), interval: '15m' })).toEqual([
        {
          intervalStart: '2026-03-10T09:00:00.000Z',
          group: support(), // K1 (09:00), K2 (09:10)
          offered: 2,
          answered: 2,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 25, // (10 + 40) / 2
          maxWaitSeconds: 40,
          averageSpeedOfAnswerSeconds: 25,
          averageHandleTimeSeconds: 475, // (350 + 600) / 2
          serviceLevelPercent: 50,
          transfers: 0,
          firstContactResolutionPercent: 50,
          csatAverage: 4,
          csatResponses: 2,
        },
        {
          intervalStart: '2026-03-10T09:15:00.000Z',
          group: support(), // K3 only: a short abandon is in no average and no service level
          offered: 1,
          answered: 0,
          abandoned: 0,
          shortAbandoned: 1,
          averageWaitSeconds: null,
          maxWaitSeconds: null,
          averageSpeedOfAnswerSeconds: null,
          averageHandleTimeSeconds: null,
          serviceLevelPercent: null,
          transfers: 0,
          firstContactResolutionPercent: null,
          csatAverage: null,
          csatResponses: 0,
        },
        {
          intervalStart: '2026-03-10T09:30:00.000Z',
          group: sales(), // K5 (09:40), K11 (09:44)
          offered: 2,
          answered: 2,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 42.5,
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: 42.5,
          averageHandleTimeSeconds: 600,
          serviceLevelPercent: 50,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: 4,
          csatResponses: 1,
        },
        {
          intervalStart: '2026-03-10T09:30:00.000Z',
          group: support(), // K4 (09:30) abandoned after 60 s
          offered: 1,
          answered: 0,
          abandoned: 1,
          shortAbandoned: 0,
          averageWaitSeconds: 60,
          maxWaitSeconds: 60,
          averageSpeedOfAnswerSeconds: null,
          averageHandleTimeSeconds: null,
          serviceLevelPercent: 0, // 0 / (0 + 1)
          transfers: 0,
          firstContactResolutionPercent: null,
          csatAverage: null,
          csatResponses: 0,
        },
      ]);
    });

    it('as CSV: the header names every column, nested group flattened, and each row holds the JSON values', async () => {
      const query = { ...DAYS, interval: '1d' };
      const rows = await json('/reports/queues', query);
      const res = await report('/reports/queues', { ...query, format: 'csv' }).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="queue-report.csv"');
      expect(res.text.endsWith('\r\n')).toBe(true);
      const [header, ...lines] = parseCsv(res.text);
      expect(header).toEqual(['intervalStart', 'group_id', 'group_name', ...METRIC_COLUMNS]);
      expect(lines).toHaveLength(rows.length);
      // one row spelt out: Support on 2026-03-10 (see the daily test)
      expect(lines[1]).toEqual(['2026-03-10T00:00:00.000Z', supportId, 'Support', '7', '4', '2', '1', '27.5', '60', '18.75', '535', '50', '1', '75', '3.33', '3']);
      // and every row equals its JSON row, nulls as empty cells
      lines.forEach((line, i) => {
        const j = rows[i];
        expect(line).toEqual([j.intervalStart, j.group.id, j.group.name, ...METRIC_COLUMNS.map((k) => (j[k] === null ? '' : String(j[k])))]);
      });
      // a null appears as an empty cell: Support's 10:00 hour has no CSAT
      const hourly = parseCsv((await report('/reports/queues', { ...DAYS, format: 'csv' }).expect(200)).text);
      expect(hourly[4]).toEqual(['2026-03-10T10:00:00.000Z', supportId, 'Support', '2', '1', '1', '0', '20', '30', '10', '590', '50', '1', '100', '', '0']);
    });

    it('fcrWindowHours decides which returns make a contact not resolved first time', async () => {
      const fcr = async (fcrWindowHours?: number) => {
        const rows = await json('/reports/queues', { ...DAYS, interval: '1d', ...(fcrWindowHours ? { fcrWindowHours } : {}) });
        return rows.map((r: any) => [r.intervalStart, r.group.name, r.firstContactResolutionPercent]);
      };
      // Support on day 1 handled K1, K2, K14, K6. K6 came 4h54m after K1 closed; K9 24h49m45s after K6 closed.
      expect(await fcr(1)).toEqual([
        ['2026-03-10T00:00:00.000Z', 'Sales', 100],
        ['2026-03-10T00:00:00.000Z', 'Support', 100], // within 1 h nobody came back → 4 / 4
        ['2026-03-11T00:00:00.000Z', 'Support', 100],
      ]);
      const default24 = [
        ['2026-03-10T00:00:00.000Z', 'Sales', 100],
        ['2026-03-10T00:00:00.000Z', 'Support', 75], // K1 repeated → 3 / 4
        ['2026-03-11T00:00:00.000Z', 'Support', 100],
      ];
      expect(await fcr()).toEqual(default24);
      expect(await fcr(24)).toEqual(default24);
      expect(await fcr(48)).toEqual([
        ['2026-03-10T00:00:00.000Z', 'Sales', 100],
        ['2026-03-10T00:00:00.000Z', 'Support', 50], // K1 and K6 repeated → 2 / 4
        ['2026-03-11T00:00:00.000Z', 'Support', 100], // nothing follows K9 or K10
      ]);
      // the window changes nothing else
      const strip = (rows: any[]) => rows.map(({ firstContactResolutionPercent: _, ...rest }) => rest);
      expect(strip(await json('/reports/queues', { ...DAYS, interval: '1d', fcrWindowHours: 48 }))).toEqual(
        strip(await json('/reports/queues', { ...DAYS, interval: '1d' })),
      );
    });

    it('the service-level clock stops while the queue is closed, only when the queue says so', async () => {
      // N1: arrives 08:50:00 (closed until 09:00), answered 09:00:15 → 15 open seconds, 615 real ones
      const day = { from: '2026-03-17T00:00:00Z', to: '2026-03-18T00:00:00Z', interval: '1d' };
      const row = (serviceLevelPercent: number) => [
        {
          intervalStart: '2026-03-17T00:00:00.000Z',
          group: { id: nightId, name: 'Night desk' },
          offered: 1,
          answered: 1,
          abandoned: 0,
          shortAbandoned: 0,
          averageWaitSeconds: 615, // waits are real time: 09:00:15 − 08:50:00
          maxWaitSeconds: 615,
          averageSpeedOfAnswerSeconds: 615,
          averageHandleTimeSeconds: 300, // 09:05:15 − 09:00:15
          serviceLevelPercent,
          transfers: 0,
          firstContactResolutionPercent: 100,
          csatAverage: null,
          csatResponses: 0,
        },
      ];
      try {
        expect(await json('/reports/queues', day)).toEqual(row(100)); // 15 s ≤ 20 s
        await t.db.query(`UPDATE queues SET service_level_pauses_when_closed = false WHERE id = $1`, [nightId]);
        expect(await json('/reports/queues', day)).toEqual(row(0)); // 615 s > 20 s
        // paused clock but no calendar: always open, so real time
        await t.db.query(`UPDATE queues SET service_level_pauses_when_closed = true, calendar_id = NULL WHERE id = $1`, [nightId]);
        expect(await json('/reports/queues', day)).toEqual(row(0));
      } finally {
        await t.db.query(`UPDATE queues SET service_level_pauses_when_closed = true, calendar_id = (SELECT id FROM calendars WHERE name = 'Reports weekdays') WHERE id = $1`, [nightId]);
      }
    });
  });

  describe('agent performance', () => {
    it('hourly: time in each presence, handling (overlaps once), wrap-up, handled, occupancy and utilisation', async () => {
      // Alice handling: K1 09:00:10-09:06:00 (350); K5 09:40:25-09:50:25 ∪ K11 09:45:00-09:55:00 = 09:40:25-09:55:00 (875);
      //   K7 10:03:20-10:09:05 (345); K14 10:25:30-10:30:00 (270)
      // Alice wrap-up: K1 09:05:00-09:06:00 (60); K5 09:49:25-09:50:25 ∪ K11 09:50:00-09:55:00 = 09:49:25-09:55:00 (335);
      //   K7 10:08:00-10:09:05 (65); K14 10:29:00-10:30:00 (60)
      // Bob handling: K2 09:10:40-09:20:40 (600, wrap 09:19:40-09:20:40 = 60); K7 10:00:05-10:03:00 (175, until his cold transfer);
      //   K14 10:20:10-10:25:30 (320, until Alice accepted the warm transfer)
      expect(await json('/reports/agent-performance', { from: d1('09:00:00'), to: d1('12:00:00'), interval: '1h' })).toEqual([
        {
          intervalStart: '2026-03-10T09:00:00.000Z',
          agent: alice(),
          availableSeconds: 3600,
          awaySeconds: 0,
          offlineSeconds: 0,
          handlingSeconds: 1225, // 350 + 875
          wrapUpSeconds: 395, // 60 + 335
          handled: 3, // K1, K5, K11
          occupancyPercent: 34.03, // 1225 / 3600 = 34.027…%
          utilisationPercent: 34.03, // 1225 / (3600 + 0)
        },
        {
          intervalStart: '2026-03-10T09:00:00.000Z',
          agent: bob(),
          availableSeconds: 2700, // 09:00-09:30 + 09:45-10:00
          awaySeconds: 900, // 09:30-09:45
          offlineSeconds: 0,
          handlingSeconds: 600,
          wrapUpSeconds: 60,
          handled: 1, // K2
          occupancyPercent: 22.22, // 600 / 2700 = 22.222…%
          utilisationPercent: 16.67, // 600 / 3600 = 16.666…%
        },
        {
          intervalStart: '2026-03-10T10:00:00.000Z',
          agent: alice(),
          availableSeconds: 1800, // 10:00-10:30
          awaySeconds: 1800, // 10:30-11:00
          offlineSeconds: 0,
          handlingSeconds: 615, // 345 + 270
          wrapUpSeconds: 125, // 65 + 60
          handled: 2, // K7, K14
          occupancyPercent: 34.17, // 615 / 1800 = 34.166…%
          utilisationPercent: 17.08, // 615 / 3600 = 17.083…%
        },
        {
          intervalStart: '2026-03-10T10:00:00.000Z',
          agent: bob(),
          availableSeconds: 2700, // 10:00-10:45
          awaySeconds: 0,
          offlineSeconds: 900, // 10:45-11:00
          handlingSeconds: 495, // 175 + 320
          wrapUpSeconds: 0, // he never wrapped up K7 or K14: the transfers ended his part
          handled: 0, // Alice closed both
          occupancyPercent: 18.33, // 495 / 2700 = 18.333…%
          utilisationPercent: 18.33, // 495 / (2700 + 0)
        },
        {
          intervalStart: '2026-03-10T11:00:00.000Z',
          agent: alice(),
          availableSeconds: 0,
          awaySeconds: 900, // 11:00-11:15
          offlineSeconds: 2700, // 11:15-12:00
          handlingSeconds: 0,
          wrapUpSeconds: 0,
          handled: 0,
          occupancyPercent: null, // no available time
          utilisationPercent: 0, // 0 / 900
        },
        // Bob 11:00-12:00: offline throughout, so no row
      ]);
    });

    it('daily in UTC', async () => {
      expect(await json('/reports/agent-performance', { from: '2026-03-10T00:00:00Z', to: '2026-03-11T00:00:00Z', interval: '1d' })).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          agent: alice(),
          availableSeconds: 7200, // 08:30-10:30
          awaySeconds: 2700, // 10:30-11:15
          offlineSeconds: 45900, // 11:15-24:00 (nothing logged before 08:30)
          handlingSeconds: 1840, // 350 + 875 + 345 + 270
          wrapUpSeconds: 520, // 60 + 335 + 65 + 60
          handled: 5, // K1, K5, K11, K7, K14
          occupancyPercent: 25.56, // 1840 / 7200 = 25.555…%
          utilisationPercent: 18.59, // 1840 / 9900 = 18.585…%
        },
        {
          intervalStart: '2026-03-10T00:00:00.000Z',
          agent: bob(),
          availableSeconds: 7800, // 08:55-09:30 (2100) + 09:45-10:45 (3600) + 13:55-14:30 (2100)
          awaySeconds: 900,
          offlineSeconds: 45600, // 10:45-13:55 (11400) + 14:30-24:00 (34200)
          handlingSeconds: 1695, // K2 600 + K7 175 + K14 320 + K6 600 (14:00:15-14:10:15)
          wrapUpSeconds: 120, // K2 60 + K6 60
          handled: 2, // K2, K6
          occupancyPercent: 21.73, // 1695 / 7800 = 21.730…%
          utilisationPercent: 19.48, // 1695 / 8700 = 19.482…%
        },
      ]);
    });

    it('as CSV, the agent flattened into agent_id and agent_name', async () => {
      const query = { from: d1('09:00:00'), to: d1('12:00:00'), interval: '1h' };
      const rows = await json('/reports/agent-performance', query);
      const res = await report('/reports/agent-performance', { ...query, format: 'csv' }).expect(200);
      expect(res.headers['content-disposition']).toBe('attachment; filename="agent-performance.csv"');
      const [header, ...lines] = parseCsv(res.text);
      const columns = ['availableSeconds', 'awaySeconds', 'offlineSeconds', 'handlingSeconds', 'wrapUpSeconds', 'handled', 'occupancyPercent', 'utilisationPercent'];
      expect(header).toEqual(['intervalStart', 'agent_id', 'agent_name', ...columns]);
      expect(lines[4]).toEqual(['2026-03-10T11:00:00.000Z', aliceId, 'Alice Agent', '0', '900', '2700', '0', '0', '0', '', '0']);
      expect(lines).toEqual(rows.map((r: any) => [r.intervalStart, r.agent.id, r.agent.name, ...columns.map((k) => (r[k] === null ? '' : String(r[k])))]));
    });
  });

  describe('validation and access', () => {
    const paths = ['/reports/queues', '/reports/agents', '/reports/channels', '/reports/agent-performance'];

    it.each([
      ['no from', { to: DAYS.to }, /from/],
      ['no to', { from: DAYS.from }, /to/],
      ['from not a date', { from: 'yesterday', to: DAYS.to }, /from/],
      ['from equal to to', { from: DAYS.from, to: DAYS.from }, /from must be before to/],
      ['from after to', { from: DAYS.to, to: DAYS.from }, /from must be before to/],
      ['an unknown interval', { ...DAYS, interval: '2h' }, /interval/],
      ['an unknown time zone', { ...DAYS, timeZone: 'Mars/Olympus_Mons' }, /timeZone/],
      ['an unknown format', { ...DAYS, format: 'xml' }, /format/],
      ['fcrWindowHours 0', { ...DAYS, fcrWindowHours: 0 }, /fcrWindowHours/],
      ['fcrWindowHours not a number', { ...DAYS, fcrWindowHours: 'soon' }, /fcrWindowHours/],
      ['an unknown parameter', { ...DAYS, groupBy: 'queue' }, /groupBy/],
    ])('refuses %s with 400 validation_failed on every report', async (_, query, message) => {
      for (const path of paths) {
        const res = await report(path, query as Record<string, string>);
        expect({ path, status: res.status, error: res.body.error }).toEqual({ path, status: 400, error: 'validation_failed' });
        expect(res.body.message).toMatch(message);
      }
    });

    it('answers 401 without a token and 403 to an agent', async () => {
      for (const path of paths) {
        const anonymous = await report(path, DAYS, null);
        expect({ path, status: anonymous.status, error: anonymous.body.error }).toEqual({ path, status: 401, error: 'unauthorized' });
        const agent = await report(path, DAYS, agentToken);
        expect({ path, status: agent.status, error: agent.body.error }).toEqual({ path, status: 403, error: 'forbidden' });
      }
      // an admin may read them too
      const admin = await login(t.url, 'admin@demo.local', 'admin-demo');
      expect((await report('/reports/queues', DAYS, admin)).status).toBe(200);
    });
  });

  /** Each of these fails against the current code: see the comments for what goes wrong. */
  describe('known defects', () => {
    it('agent-performance day intervals follow local midnight after a daylight-saving change', async () => {
      // From 2026-03-07 00:00 EST to 2026-03-12 00:00 EDT. The 2026-03-10 local day is 03-10 04:00Z to 03-11 04:00Z.
      // bucketsOf() (libs/supervision/reports.service.ts) re-reads the first label with setZone: true, so the cursor
      // keeps the fixed −05:00 offset: after 2026-03-08 every "day" runs 05:00Z-05:00Z and is labelled -05:00,
      // unlike the contact reports (which label the same day 2026-03-10T00:00:00.000-04:00).
      const rows = await json('/reports/agent-performance', { from: '2026-03-07T05:00:00Z', to: '2026-03-12T04:00:00Z', interval: '1d', timeZone: 'America/New_York' });
      expect(rows).toEqual([
        {
          intervalStart: '2026-03-10T00:00:00.000-04:00',
          agent: alice(),
          availableSeconds: 7200,
          awaySeconds: 2700,
          offlineSeconds: 60300, // 11:15Z → 04:00Z next day = 16h45m
          handlingSeconds: 1840,
          wrapUpSeconds: 520,
          handled: 5,
          occupancyPercent: 25.56,
          utilisationPercent: 18.59,
        },
        {
          intervalStart: '2026-03-10T00:00:00.000-04:00',
          agent: bob(),
          availableSeconds: 9000, // 2100 + 3600 + 2100 + d2 03:25-03:45 (1200)
          awaySeconds: 900,
          offlineSeconds: 58800, // 10:45-13:55 (11400) + 14:30-03:25 (46500) + 03:45-04:00 (900)
          handlingSeconds: 2295, // 1695 + K10 600
          wrapUpSeconds: 180, // 120 + K10 60
          handled: 3, // K2, K6, K10
          occupancyPercent: 25.5, // 2295 / 9000
          utilisationPercent: 23.18, // 2295 / 9900 = 23.181…%
        },
        {
          intervalStart: '2026-03-11T00:00:00.000-04:00',
          agent: alice(),
          availableSeconds: 3900, // 14:55-16:00Z
          awaySeconds: 0,
          offlineSeconds: 82500, // 04:00-14:55 (39300) + 16:00-04:00 (43200)
          handlingSeconds: 300, // K9
          wrapUpSeconds: 60,
          handled: 1,
          occupancyPercent: 7.69, // 300 / 3900 = 7.692…%
          utilisationPercent: 7.69,
        },
      ]);
    });

    it('agent-performance counts a contact handled once when the same agent accepts it twice', async () => {
      // K12: Alice accepts 12:00:10, cold-transfers 12:02:00, accepts again 12:02:30, wrap-up 12:05:00, closes 12:06:00.
      // The work query marks every accepted offer of Alice's "closed_by_agent" because she closed the contact at
      // some point, so her first offer (ended by the transfer at 12:02:00) is counted as handled too: handled = 2.
      expect(await json('/reports/agent-performance', { from: d3('12:00:00'), to: d3('13:00:00'), interval: '1h' })).toEqual([
        {
          intervalStart: '2026-03-12T12:00:00.000Z',
          agent: alice(),
          availableSeconds: 1800, // 12:00-12:30
          awaySeconds: 0,
          offlineSeconds: 1800,
          handlingSeconds: 320, // 12:00:10-12:02:00 (110) + 12:02:30-12:06:00 (210)
          wrapUpSeconds: 60,
          handled: 1,
          occupancyPercent: 17.78, // 320 / 1800 = 17.777…%
          utilisationPercent: 17.78,
        },
      ]);
    });

    it('contact-report rows stay in time order through the hour repeated when clocks go back', async () => {
      // Europe/London 2025-10-26: 01:00-02:00 BST (+01:00) then 01:00-02:00 GMT (+00:00). ReportsService.contacts
      // sorts labels as strings, and "…01:00:00.000+00:00" sorts before "…01:00:00.000+01:00", the earlier hour.
      const rows = await json('/reports/queues', { from: '2025-10-25T23:00:00Z', to: '2025-10-26T03:00:00Z', interval: '1h', timeZone: 'Europe/London' });
      expect(rows.map((r: any) => [r.intervalStart, r.offered, r.abandoned, r.averageWaitSeconds])).toEqual([
        ['2025-10-26T01:00:00.000+01:00', 1, 1, 10], // L1, 00:30Z
        ['2025-10-26T01:00:00.000+00:00', 1, 1, 10], // L2, 01:30Z
      ]);
    });

    it('a contact answered, transferred and then left in the queue is neither handled nor resolved first time', async () => {
      // README: averageHandleTimeSeconds is "over answered contacts that closed" and firstContactResolutionPercent over
      // "answered, closed contacts". K13 never closed: the customer left (state abandoned) after the transfer. contactMetrics()
      // (libs/supervision/metrics.ts) takes every answered contact with a closed_at as handled, so K13 gets an AHT of 115 s
      // (answer to the customer leaving, 55 s of it back in the queue) and counts as resolved first time (FCR 100%).
      expect(await json('/reports/queues', { from: d3('13:00:00'), to: d3('14:00:00'), interval: '1h' })).toEqual([
        {
          intervalStart: '2026-03-12T13:00:00.000Z',
          group: sales(),
          offered: 1,
          answered: 1, // Bob accepted it
          abandoned: 0, // accepted, so not an abandon
          shortAbandoned: 0,
          averageWaitSeconds: 5,
          maxWaitSeconds: 5,
          averageSpeedOfAnswerSeconds: 5,
          averageHandleTimeSeconds: null, // no answered contact closed
          serviceLevelPercent: 100,
          transfers: 1,
          firstContactResolutionPercent: null, // nothing was resolved
          csatAverage: null,
          csatResponses: 0,
        },
      ]);
    });

    it('a CSV of a range with no contacts still has its header row', async () => {
      // toCsv() (apps/api/src/supervision/csv.ts) takes the columns from the rows: no rows, no header, just "\r\n"
      const res = await report('/reports/queues', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'csv' }).expect(200);
      expect(parseCsv(res.text)[0]).toEqual(['intervalStart', 'group_id', 'group_name', ...METRIC_COLUMNS]);
    });
  });
});
