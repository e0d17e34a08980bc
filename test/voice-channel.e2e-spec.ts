import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { type AgentClient, connectAgent, eventually, login, waitForEvent } from './support/clients';
import { FakeTwilioRest, TWILIO_TEST_ACCOUNT, twilioSid, twilioSignature } from './support/fake-twilio';
import { parseTwiml, type Verb } from './support/twiml';
import { closedNowCalendar } from './support/hours-calendars';

const PUBLIC_URL = 'https://cc.example.test';
const OUR_NUMBER = '+14155550100';

/**
 * A phone call through the real app, driven by requests signed the way Twilio signs them, with a
 * local stand-in for Twilio's REST API: menu, queue, offer, the agent's phone rung and bridged, hold,
 * the caller hanging up, an unanswered agent leg, abandonment and voicemail.
 */
describe('the voice channel (Twilio Programmable Voice)', () => {
  let t: TestApp;
  let fake: FakeTwilioRest;
  let admin: string;
  let alice: AgentClient;
  let aliceId: string;

  beforeAll(async () => {
    fake = await new FakeTwilioRest().start();
    t = await startApp({
      env: {
        PUBLIC_URL,
        ...fake.appEnv(),
        VOICE_HOLD_MUSIC_URL: 'https://music.example.test/hold.mp3',
        OFFER_REOFFER_COOLDOWN_SECONDS: '0',
      },
    });
    admin = await login(t.url, 'admin@demo.local', 'admin-demo');
    const agents = await request(t.url).get('/admin/agents').set('Authorization', `Bearer ${admin}`).expect(200);
    aliceId = agents.body.find((a: any) => a.email === 'alice@demo.local').id;
    await request(t.url).patch(`/admin/agents/${aliceId}`).set('Authorization', `Bearer ${admin}`).send({ voiceEndpoint: 'client:alice' }).expect(200);
    await request(t.url)
      .put(`/admin/voice/numbers/${encodeURIComponent(OUR_NUMBER)}/menu`)
      .set('Authorization', `Bearer ${admin}`)
      .send({
        menu: {
          greeting: 'Thanks for calling Acme.',
          prompt: 'Press 1 for support, 2 for sales, 9 to leave a message.',
          options: { '1': { queue: 'Support' }, '2': { queue: 'Sales' }, '9': { voicemail: { queue: 'Support' } } },
          default: { queue: 'Support' },
        },
      })
      .expect(200);
    alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    alice?.close();
    await t?.close();
    await fake?.stop();
  });

  /** POSTs form fields to a voice webhook, signed by Twilio's scheme over the public URL (or as `signing` says). */
  function post(pathWithQuery: string, fields: Record<string, string>, signing: 'twilio' | 'unsigned' | 'tampered' = 'twilio') {
    const req = request(t.url).post(pathWithQuery).type('form').send(fields);
    if (signing === 'unsigned') return req;
    const signed = signing === 'tampered' ? { ...fields, Digits: '2' } : fields;
    return req.set('X-Twilio-Signature', twilioSignature(TWILIO_TEST_ACCOUNT.token, PUBLIC_URL + pathWithQuery, signed));
  }

  async function twiml(pathWithQuery: string, fields: Record<string, string>): Promise<Verb[]> {
    const res = await post(pathWithQuery, fields).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    return parseTwiml(res.text);
  }

  const callFields = (callSid: string, from: string) => ({
    CallSid: callSid,
    AccountSid: TWILIO_TEST_ACCOUNT.sid,
    From: from,
    To: OUR_NUMBER,
    CallStatus: 'ringing',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  });

  /** A call answered, through the menu to Support, waiting: answers its contact id. */
  async function callIntoSupport(from: string): Promise<{ callSid: string; contactId: string }> {
    const callSid = twilioSid('CA');
    const answer = await twiml('/channels/twilio/voice', callFields(callSid, from));
    expect(answer.map((v) => v.name)).toEqual(['Say', 'Gather', 'Redirect']);
    expect(answer[0].text).toBe('Thanks for calling Acme.');
    expect(answer[1].attrs.action).toBe(`${PUBLIC_URL}/channels/twilio/voice/menu?path=&attempt=0`);
    expect(answer[1].children.map((v) => v.name)).toEqual(['Say']);
    const waiting = await twiml('/channels/twilio/voice/menu?path=&attempt=0', { ...callFields(callSid, from), Digits: '1' });
    const contactId = expectHoldLoop(waiting);
    return { callSid, contactId };
  }

  /** The hold loop: the place in the queue, the offer of a call back and music inside a Gather, then a redirect to itself. */
  function expectHoldLoop(verbs: Verb[]): string {
    expect(verbs.map((v) => v.name)).toEqual(['Gather', 'Redirect']);
    const [gather, redirect] = verbs;
    const contactId = /contactId=([0-9a-f-]{36})/.exec(redirect.text)![1];
    expect(redirect.text).toBe(`${PUBLIC_URL}/channels/twilio/voice/wait?contactId=${contactId}`);
    expect(gather.attrs).toMatchObject({ numDigits: '1', action: `${PUBLIC_URL}/channels/twilio/voice/callback?contactId=${contactId}` });
    // while queued: the place, the estimated wait once the queue has a recent pace, the call-back offer; always the music
    const says = gather.children.filter((v) => v.name === 'Say').map((v) => v.text);
    expect(gather.children.at(-1)).toMatchObject({ name: 'Play', text: 'https://music.example.test/hold.mp3' });
    if (says.length) {
      expect(says[0]).toMatch(/^You are number \d+ in the queue\.$/);
      expect(says.at(-1)).toBe('To keep your place and be called back, press star.');
      for (const eta of says.slice(1, -1)) expect(eta).toMatch(/^Your estimated wait is about \d+ minutes\.$/);
    }
    return contactId;
  }

  const call = async (contactId: string) => (await t.db.query(`SELECT * FROM voice_calls WHERE contact_id = $1`, [contactId])).rows[0];
  const events = async (contactId: string) =>
    (await t.db.query(`SELECT type, data FROM contact_events WHERE contact_id = $1 ORDER BY id`, [contactId])).rows as { type: string; data: any }[];

  it('answers with the menu, queues the call, rings the agent who accepts, bridges them, holds, and closes out when the caller hangs up', async () => {
    const from = '+14155550123';
    const offered = waitForEvent(alice.socket, 'offer', (o) => o.channel === 'voice');
    const { callSid, contactId } = await callIntoSupport(from);
    const offer = await offered;
    expect(offer).toMatchObject({ contactId, queue: { name: 'Support' }, customer: { phone: from } });

    // accepting rings the agent's softphone through the REST API
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    const ring = await eventually(async () => fake.callsCreated.find((r) => r.form.Url?.includes(contactId)), 15_000, 'the agent leg placed');
    expect(ring.auth).toEqual({ user: TWILIO_TEST_ACCOUNT.sid, password: TWILIO_TEST_ACCOUNT.token });
    expect(ring.form).toMatchObject({
      To: 'client:alice',
      From: OUR_NUMBER,
      Url: `${PUBLIC_URL}/channels/twilio/voice/agent?contactId=${contactId}`,
      StatusCallback: `${PUBLIC_URL}/channels/twilio/voice/agent-status?contactId=${contactId}`,
    });
    const agentLeg = await eventually(async () => (await call(contactId))?.agent_call_sid, 15_000, 'the agent leg recorded');

    // the agent answers: they join the contact's conference, and the caller is moved into it
    const agentTwiml = await twiml(`/channels/twilio/voice/agent?contactId=${contactId}`, { CallSid: agentLeg, CallStatus: 'in-progress', To: 'client:alice' });
    expect(agentTwiml.map((v) => v.name)).toEqual(['Dial']);
    expect(agentTwiml[0].children).toEqual([expect.objectContaining({ name: 'Conference', text: `cc-${contactId}` })]);
    const moved = fake.callUpdates.filter((u) => u.callSid === callSid);
    expect(moved.map((u) => u.form.Url)).toEqual([`${PUBLIC_URL}/channels/twilio/voice/join?contactId=${contactId}`]);
    const callerJoins = await twiml(`/channels/twilio/voice/join?contactId=${contactId}`, { ...callFields(callSid, from), CallStatus: 'in-progress' });
    expect(callerJoins[0].children[0]).toMatchObject({ name: 'Conference', text: `cc-${contactId}`, attrs: { endConferenceOnExit: 'true' } });
    // the caller's hold loop now joins them too, rather than playing music
    expect((await twiml(`/channels/twilio/voice/wait?contactId=${contactId}`, callFields(callSid, from)))[0].name).toBe('Dial');

    // hold (music) and resume (back into the conference)
    expect(await alice.ack('call:hold', { contactId, hold: true })).toEqual({ ok: true });
    const held = fake.callUpdates.filter((u) => u.callSid === callSid).at(-1)!;
    expect(parseTwiml(held.form.Twiml)).toEqual([expect.objectContaining({ name: 'Play', attrs: { loop: '0' }, text: 'https://music.example.test/hold.mp3' })]);
    expect(await alice.ack('call:hold', { contactId, hold: false })).toEqual({ ok: true });
    expect(fake.callUpdates.filter((u) => u.callSid === callSid).at(-1)!.form.Url).toBe(`${PUBLIC_URL}/channels/twilio/voice/join?contactId=${contactId}`);

    // the caller hangs up: the call is over, the agent is told and wraps up; the times are on the contact.
    // (the call's moments are set back to known values, so the arithmetic can be checked to the second:
    // arrived 90 s ago, agent rung 65 s ago, bridged 60 s ago, 10 s of it on hold)
    await t.db.query(`UPDATE contacts SET created_at = now() - interval '90 seconds' WHERE id = $1`, [contactId]);
    await t.db.query(
      `UPDATE voice_calls SET agent_rung_at = now() - interval '65 seconds', bridged_at = now() - interval '60 seconds', hold_seconds = 10 WHERE contact_id = $1`,
      [contactId],
    );
    const told = waitForEvent(alice.socket, 'contact:state', (e) => e.contactId === contactId && e.reason === 'customer_left');
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed', CallDuration: '42' }).expect(204);
    await told;
    const ended = (await events(contactId)).find((e) => e.type === 'call_ended')!;
    expect(ended.data).toEqual({ callStatus: 'completed', viaCallback: false, waitSeconds: 30, ringSeconds: 5, talkSeconds: 50, holdSeconds: 10 });
    expect((await events(contactId)).map((e) => e.type)).toEqual(expect.arrayContaining(['queued', 'offered', 'accepted', 'call_bridged', 'call_held', 'call_resumed', 'call_ended']));
    // a replayed status callback changes nothing
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
    expect((await events(contactId)).filter((e) => e.type === 'call_ended')).toHaveLength(1);
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
  });

  it('puts the call back in the queue when the agent does not answer their phone, and offers it again', async () => {
    const from = '+14155550124';
    const first = waitForEvent(alice.socket, 'offer', (o) => o.channel === 'voice');
    const { callSid, contactId } = await callIntoSupport(from);
    expect(await alice.ack('offer:accept', { offerId: (await first).offerId })).toMatchObject({ ok: true });
    const agentLeg = await eventually(async () => (await call(contactId))?.agent_call_sid, 15_000, 'the agent leg recorded');
    const again = waitForEvent(alice.socket, 'offer', (o) => o.contactId === contactId);
    await post(`/channels/twilio/voice/agent-status?contactId=${contactId}`, { CallSid: agentLeg, CallStatus: 'no-answer' }).expect(204);
    expect((await t.db.query(`SELECT missed_offers FROM agents WHERE user_id = $1`, [aliceId])).rows[0].missed_offers).toBe(1);
    expect((await events(contactId)).map((e) => e.type)).toEqual(expect.arrayContaining(['agent_leg_failed', 'agent_unreachable']));
    // the caller was never dropped: still waiting, and offered again
    expectHoldLoop(await twiml(`/channels/twilio/voice/wait?contactId=${contactId}`, callFields(callSid, from)));
    const offer = await again;
    expect(await alice.ack('offer:reject', { offerId: offer.offerId, reason: 'test done' })).toMatchObject({ ok: true });
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
    await eventually(async () => (await t.db.query(`SELECT state FROM contacts WHERE id = $1`, [contactId])).rows[0].state === 'abandoned', 15_000, 'abandoned');
    await alice.ack('presence:set', { state: 'available' });
  });

  it('marks a caller who hangs up while waiting as abandoned, with the time they waited', async () => {
    await alice.ack('presence:set', { state: 'away', reason: 'lunch' });
    const from = '+14155550125';
    const { callSid, contactId } = await callIntoSupport(from);
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'canceled' }).expect(204);
    expect((await t.db.query(`SELECT state FROM contacts WHERE id = $1`, [contactId])).rows[0].state).toBe('abandoned');
    expect((await events(contactId)).find((e) => e.type === 'call_ended')!.data).toMatchObject({ callStatus: 'canceled', talkSeconds: 0 });
    expect((await twiml(`/channels/twilio/voice/wait?contactId=${contactId}`, callFields(callSid, from))).map((v) => v.name)).toEqual(['Hangup']);
    await alice.ack('presence:set', { state: 'available' });
  });

  it('repeats the menu on no input, then takes the default', async () => {
    await alice.ack('presence:set', { state: 'away', reason: 'menu test' });
    const callSid = twilioSid('CA');
    const fields = callFields(callSid, '+14155550126');
    await twiml('/channels/twilio/voice', fields);
    const again = await twiml('/channels/twilio/voice/menu?path=&attempt=0', fields);
    expect(again.map((v) => v.name)).toEqual(['Gather', 'Redirect']);
    expect(again[0].attrs.action).toBe(`${PUBLIC_URL}/channels/twilio/voice/menu?path=&attempt=1`);
    const wrong = await twiml('/channels/twilio/voice/menu?path=&attempt=1', { ...fields, Digits: '7' });
    expect(wrong[0]).toMatchObject({ name: 'Say', text: "Sorry, that's not an option." });
    const contactId = expectHoldLoop(await twiml('/channels/twilio/voice/menu?path=&attempt=2', fields));
    expect((await t.db.query(`SELECT q.name FROM contacts c JOIN queues q ON q.id = c.queue_id WHERE c.id = $1`, [contactId])).rows[0].name).toBe('Support');
    await post('/channels/twilio/voice/status', { ...fields, CallStatus: 'completed' }).expect(204);
    await alice.ack('presence:set', { state: 'available' });
  });

  it('takes a voicemail as a contact with the recording, and adds the transcript', async () => {
    await alice.ack('presence:set', { state: 'away', reason: 'voicemail test' });
    const callSid = twilioSid('CA');
    const from = '+14155550127';
    const fields = callFields(callSid, from);
    await twiml('/channels/twilio/voice', fields);
    const record = await twiml('/channels/twilio/voice/menu?path=&attempt=0', { ...fields, Digits: '9' });
    expect(record.map((v) => v.name)).toEqual(['Say', 'Record']);
    expect(record[1].attrs).toMatchObject({ action: `${PUBLIC_URL}/channels/twilio/voice/voicemail?queue=Support`, transcribe: 'true' });
    const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Recordings/RE${'a'.repeat(32)}`;
    const done = await twiml('/channels/twilio/voice/voicemail?queue=Support', { ...fields, RecordingUrl: recordingUrl, RecordingDuration: '12', RecordingSid: `RE${'a'.repeat(32)}` });
    expect(done.map((v) => v.name)).toEqual(['Say', 'Hangup']);
    await post('/channels/twilio/voice/transcription', { ...fields, TranscriptionStatus: 'completed', TranscriptionText: 'Please call me back about my order.' }).expect(204);
    const { rows } = await t.db.query(
      `SELECT c.state, m.body, a.url FROM contacts c JOIN messages m ON m.contact_id = c.id JOIN message_attachments a ON a.message_id = m.id
        WHERE c.channel = 'voice' AND c.address = $1`,
      [from],
    );
    expect(rows).toEqual([{ state: 'queued', body: 'Voicemail (12 s): Please call me back about my order.', url: `${recordingUrl}.mp3` }]);
    // the caller hanging up after the message does not abandon the voicemail
    await post('/channels/twilio/voice/status', { ...fields, CallStatus: 'completed' }).expect(204);
    expect((await t.db.query(`SELECT state FROM contacts WHERE channel = 'voice' AND address = $1`, [from])).rows[0].state).toBe('queued');
    const offer = waitForEvent(alice.socket, 'offer', (o) => o.customer.phone === from);
    await alice.ack('presence:set', { state: 'available' });
    const o = await offer;
    expect(o.messages[0]).toMatchObject({ text: 'Voicemail (12 s): Please call me back about my order.', attachments: [{ url: `${recordingUrl}.mp3`, contentType: 'audio/mpeg' }] });
    await alice.ack('offer:accept', { offerId: o.offerId });
    await alice.ack('contact:end', { contactId: o.contactId });
    await alice.ack('contact:wrapup', { contactId: o.contactId, disposition: 'called back' });
  });

  it('refuses unsigned and tampered requests, storing nothing, and stores a repeated call once', async () => {
    const callSid = twilioSid('CA');
    const fields = callFields(callSid, '+14155550128');
    await post('/channels/twilio/voice', fields, 'unsigned').expect(403);
    await post('/channels/twilio/voice', fields, 'tampered').expect(403);
    expect((await t.db.query(`SELECT 1 FROM voice_calls WHERE call_sid = $1`, [callSid])).rows).toEqual([]);
    await twiml('/channels/twilio/voice', fields);
    await twiml('/channels/twilio/voice', fields);
    expect((await t.db.query(`SELECT 1 FROM voice_calls WHERE call_sid = $1`, [callSid])).rows).toHaveLength(1);
    await post('/channels/twilio/voice/status', { ...fields, CallStatus: 'completed' }).expect(204);
  });

  /** A call through the menu, accepted by `desk`, the agent's phone answered: both on the line. */
  async function bridgedCall(from: string, desk: AgentClient): Promise<{ callSid: string; contactId: string; agentLeg: string }> {
    const offered = waitForEvent(desk.socket, 'offer', (o) => o.channel === 'voice' && o.customer.phone === from);
    const { callSid, contactId } = await callIntoSupport(from);
    expect(await desk.ack('offer:accept', { offerId: (await offered).offerId })).toMatchObject({ ok: true });
    const agentLeg = await eventually(async () => (await call(contactId))?.agent_call_sid, 15_000, 'the agent leg recorded');
    await twiml(`/channels/twilio/voice/agent?contactId=${contactId}`, { CallSid: agentLeg, CallStatus: 'in-progress' });
    return { callSid, contactId, agentLeg };
  }

  async function wrapUp(desk: AgentClient, contactId: string): Promise<void> {
    await desk.ack('contact:end', { contactId });
    expect(await desk.ack('contact:wrapup', { contactId, disposition: 'done' })).toEqual({ ok: true });
  }

  describe('with a second agent', () => {
    let bob: AgentClient;
    const BOB_PHONE = '+14155550999';
    beforeAll(async () => {
      const agents = await request(t.url).get('/admin/agents').set('Authorization', `Bearer ${admin}`).expect(200);
      const bobId = agents.body.find((a: any) => a.email === 'bob@demo.local').id;
      await request(t.url).patch(`/admin/agents/${bobId}`).set('Authorization', `Bearer ${admin}`).send({ voiceEndpoint: BOB_PHONE }).expect(200);
      bob = await connectAgent(t.url, await login(t.url, 'bob@demo.local', 'agent-demo'));
    });
    afterAll(async () => {
      // out of the way of the tests that follow, which expect alice alone
      await bob?.ack('presence:set', { state: 'offline' });
      bob?.close();
    });

    it('a cold transfer takes the caller back to hold and hangs up the first agent, then bridges the next one', async () => {
      await bob.ack('presence:set', { state: 'away', reason: 'not yet' });
      const from = '+14155550131';
      const { callSid, contactId, agentLeg } = await bridgedCall(from, alice);
      await bob.ack('presence:set', { state: 'available' });
      const bobOffered = waitForEvent(bob.socket, 'offer', (o) => o.contactId === contactId);
      expect(await alice.ack('contact:transfer', { contactId, mode: 'cold', toAgentId: bob.initialState.agentId })).toEqual({ ok: true });
      // the caller goes back to the hold loop before the first agent's leg is hung up
      await eventually(async () => fake.callUpdates.some((u) => u.callSid === agentLeg && u.form.Status === 'completed'), 15_000, 'the first agent hung up');
      const callerMoves = fake.callUpdates.filter((u) => u.callSid === callSid).map((u) => u.form.Url);
      expect(callerMoves.at(-1)).toBe(`${PUBLIC_URL}/channels/twilio/voice/wait?contactId=${contactId}`);
      expectHoldLoop(await twiml(`/channels/twilio/voice/wait?contactId=${contactId}`, callFields(callSid, from)));

      expect(await bob.ack('offer:accept', { offerId: (await bobOffered).offerId })).toMatchObject({ ok: true });
      const ring = await eventually(async () => fake.callsCreated.find((r) => r.form.To === BOB_PHONE && r.form.Url?.includes(contactId)), 15_000, 'bob rung');
      expect(ring.form.From).toBe(OUR_NUMBER);
      const bobLeg = await eventually(async () => ((await call(contactId))?.agent_call_sid !== agentLeg ? (await call(contactId)).agent_call_sid : null), 15_000, 'bob leg');
      await twiml(`/channels/twilio/voice/agent?contactId=${contactId}`, { CallSid: bobLeg, CallStatus: 'in-progress' });
      expect(fake.callUpdates.filter((u) => u.callSid === callSid).at(-1)!.form.Url).toBe(`${PUBLIC_URL}/channels/twilio/voice/join?contactId=${contactId}`);
      await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
      await wrapUp(bob, contactId);
    });

    it('a warm transfer keeps the first agent on the line until the second answers, then hangs them up', async () => {
      await bob.ack('presence:set', { state: 'away', reason: 'not yet' });
      const from = '+14155550132';
      const { callSid, contactId, agentLeg } = await bridgedCall(from, alice);
      await bob.ack('presence:set', { state: 'available' });
      const bobOffered = waitForEvent(bob.socket, 'offer', (o) => o.contactId === contactId);
      expect(await alice.ack('contact:transfer', { contactId, mode: 'warm', toAgentId: bob.initialState.agentId })).toEqual({ ok: true });
      const callerUpdatesBefore = fake.callUpdates.filter((u) => u.callSid === callSid).length;
      expect(await bob.ack('offer:accept', { offerId: (await bobOffered).offerId })).toMatchObject({ ok: true });
      const bobLeg = await eventually(async () => ((await call(contactId))?.agent_call_sid !== agentLeg ? (await call(contactId)).agent_call_sid : null), 15_000, 'bob leg');
      expect(fake.callUpdates.some((u) => u.callSid === agentLeg && u.form.Status === 'completed')).toBe(false);
      await twiml(`/channels/twilio/voice/agent?contactId=${contactId}`, { CallSid: bobLeg, CallStatus: 'in-progress' });
      // the first agent leaves once the second is on; the caller stays in the conference throughout
      expect(fake.callUpdates.some((u) => u.callSid === agentLeg && u.form.Status === 'completed')).toBe(true);
      expect(fake.callUpdates.filter((u) => u.callSid === callSid)).toHaveLength(callerUpdatesBefore);
      await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
      await wrapUp(bob, contactId);
    });
  });

  it('hangs up both legs when the agent ends the call from the desk', async () => {
    const from = '+14155550135';
    const { callSid, contactId, agentLeg } = await bridgedCall(from, alice);
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    await eventually(
      async () => [callSid, agentLeg].every((leg) => fake.callUpdates.some((u) => u.callSid === leg && u.form.Status === 'completed')),
      15_000,
      'both legs hung up',
    );
    expect((await events(contactId)).map((e) => e.type)).toContain('call_hung_up');
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
    expect((await events(contactId)).find((e) => e.type === 'call_ended')!.data).toMatchObject({ callStatus: 'completed' });
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'done' })).toEqual({ ok: true });
  });

  it('calls back a caller who pressed star, keeping their place, and tries again when they do not answer', async () => {
    await alice.ack('presence:set', { state: 'away', reason: 'callback test' });
    const from = '+14155550133';
    const { callSid, contactId } = await callIntoSupport(from);
    const bye = await twiml(`/channels/twilio/voice/callback?contactId=${contactId}`, { ...callFields(callSid, from), Digits: '*' });
    expect(bye.map((v) => v.name)).toEqual(['Say', 'Hangup']);
    // hanging up after choosing a call back is not abandoning: the contact keeps its place
    await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
    expect((await t.db.query(`SELECT state FROM contacts WHERE id = $1`, [contactId])).rows[0].state).toBe('queued');

    const offered = waitForEvent(alice.socket, 'offer', (o) => o.contactId === contactId);
    await alice.ack('presence:set', { state: 'available' });
    expect(await alice.ack('offer:accept', { offerId: (await offered).offerId })).toMatchObject({ ok: true });
    const agentLeg = await eventually(async () => (await call(contactId))?.agent_call_sid, 15_000, 'the agent leg recorded');
    await twiml(`/channels/twilio/voice/agent?contactId=${contactId}`, { CallSid: agentLeg, CallStatus: 'in-progress' });
    // the agent is on: the customer is called, and joins the agent's conference when they pick up
    const firstTry = fake.callsCreated.filter((r) => r.form.To === from);
    expect(firstTry).toHaveLength(1);
    expect(firstTry[0].form).toMatchObject({ From: OUR_NUMBER, Url: `${PUBLIC_URL}/channels/twilio/voice/join?contactId=${contactId}` });
    const firstLeg = (await call(contactId)).callback_call_sid;
    await post(`/channels/twilio/voice/callback-status?contactId=${contactId}`, { CallSid: firstLeg, CallStatus: 'no-answer' }).expect(204);
    expect(fake.callsCreated.filter((r) => r.form.To === from)).toHaveLength(2);
    const secondLeg = (await call(contactId)).callback_call_sid;
    expect(secondLeg).not.toBe(firstLeg);
    const told = waitForEvent(alice.socket, 'contact:state', (e) => e.contactId === contactId && e.reason === 'customer_left');
    await post(`/channels/twilio/voice/callback-status?contactId=${contactId}`, { CallSid: secondLeg, CallStatus: 'completed' }).expect(204);
    await told;
    const types = (await events(contactId)).map((e) => e.type);
    expect(types.filter((x) => x === 'callback_attempt')).toHaveLength(2);
    expect(types).toEqual(expect.arrayContaining(['callback_requested', 'callback_leg_ended', 'call_ended']));
    await wrapUp(alice, contactId);
  });

  it('records the calls of a queue that records, and keeps the recording on the call', async () => {
    const support = (await request(t.url).get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200)).body.find((q: any) => q.name === 'Support');
    await request(t.url).patch(`/admin/queues/${support.id}`).set('Authorization', `Bearer ${admin}`).send({ recordCalls: true }).expect(200);
    try {
      const from = '+14155550134';
      const { callSid, contactId } = await bridgedCall(from, alice);
      const join = await twiml(`/channels/twilio/voice/join?contactId=${contactId}`, callFields(callSid, from));
      expect(join[0].children[0].attrs).toMatchObject({ record: 'record-from-start', recordingStatusCallback: `${PUBLIC_URL}/channels/twilio/voice/recording?contactId=${contactId}` });
      const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Recordings/RE${'b'.repeat(32)}`;
      await post(`/channels/twilio/voice/recording?contactId=${contactId}`, { RecordingUrl: recordingUrl, RecordingSid: `RE${'b'.repeat(32)}`, RecordingStatus: 'completed' }).expect(204);
      expect((await call(contactId)).recording_url).toBe(recordingUrl);
      expect((await events(contactId)).find((e) => e.type === 'call_recorded')!.data).toMatchObject({ recordingUrl });
      await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
      await wrapUp(alice, contactId);
    } finally {
      await request(t.url).patch(`/admin/queues/${support.id}`).set('Authorization', `Bearer ${admin}`).send({ recordCalls: false }).expect(200);
    }
  });

  describe('after hours', () => {
    let supportId: string;
    beforeAll(async () => {
      const cal = await request(t.url)
        .post('/admin/calendars')
        .set('Authorization', `Bearer ${admin}`)
        .send({ name: 'Voice closed', definition: closedNowCalendar().definition })
        .expect(201);
      supportId = (await request(t.url).get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200)).body.find((q: any) => q.name === 'Support').id;
      await request(t.url)
        .patch(`/admin/queues/${supportId}`)
        .set('Authorization', `Bearer ${admin}`)
        .send({ calendarId: cal.body.id, afterHoursMessage: 'We are closed. We are back {opening}.' })
        .expect(200);
    });
    afterAll(async () => {
      await request(t.url).patch(`/admin/queues/${supportId}`).set('Authorization', `Bearer ${admin}`).send({ calendarId: null, afterHours: {}, afterHoursMessage: null }).expect(200);
    });

    async function closedRule(action: string) {
      await request(t.url).patch(`/admin/queues/${supportId}`).set('Authorization', `Bearer ${admin}`).send({ afterHours: { voice: { action } } }).expect(200);
    }

    it('asks a caller for a voicemail when the queue is closed; the message joins their call, which waits for the opening', async () => {
      await closedRule('voicemail');
      const from = '+14155550141';
      const { callSid, contactId } = await callIntoSupport(from);
      const redirect = await eventually(async () => fake.callUpdates.find((u) => u.callSid === callSid && u.form.Twiml), 15_000, 'the caller redirected');
      const verbs = parseTwiml(redirect.form.Twiml);
      expect(verbs.map((v) => v.name)).toEqual(['Say', 'Say', 'Record']);
      expect(verbs[0].text).toMatch(/^We are closed\. We are back .+\.$/);
      expect(verbs[2].attrs.action).toBe(`${PUBLIC_URL}/channels/twilio/voice/voicemail?queue=Support`);
      const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Recordings/RE${'c'.repeat(32)}`;
      await twiml('/channels/twilio/voice/voicemail?queue=Support', { ...callFields(callSid, from), RecordingUrl: recordingUrl, RecordingDuration: '7' });
      await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
      const { rows } = await t.db.query(
        `SELECT c.id, c.state, m.body, a.url FROM contacts c JOIN messages m ON m.contact_id = c.id LEFT JOIN message_attachments a ON a.message_id = m.id
          WHERE c.channel = 'voice' AND c.address = $1 AND m.body LIKE 'Voicemail%'`,
        [from],
      );
      expect(rows).toEqual([{ id: contactId, state: 'queued', body: 'Voicemail (7 s)', url: `${recordingUrl}.mp3` }]);
      await t.db.query(`UPDATE contacts SET state = 'abandoned', closed_at = now() WHERE id = $1`, [contactId]);
    });

    it('asks for a voicemail at a queue step (maximum wait), like after hours', async () => {
      const sales = (await request(t.url).get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200)).body.find((q: any) => q.name === 'Sales');
      await request(t.url)
        .patch(`/admin/queues/${sales.id}`)
        .set('Authorization', `Bearer ${admin}`)
        .send({ steps: [{ afterSeconds: 1, action: 'after_hours' }], afterHours: { voice: { action: 'voicemail' } }, afterHoursMessage: 'Sorry for the wait.' })
        .expect(200);
      await alice.ack('presence:set', { state: 'away', reason: 'max wait test' });
      try {
        const callSid = twilioSid('CA');
        const from = '+14155550143';
        await twiml('/channels/twilio/voice', callFields(callSid, from));
        const contactId = expectHoldLoop(await twiml('/channels/twilio/voice/menu?path=&attempt=0', { ...callFields(callSid, from), Digits: '2' }));
        const redirect = await eventually(async () => fake.callUpdates.find((u) => u.callSid === callSid && u.form.Twiml), 15_000, 'the caller redirected');
        const verbs = parseTwiml(redirect.form.Twiml);
        expect(verbs.map((v) => v.name)).toEqual(['Say', 'Say', 'Record']);
        expect(verbs[0].text).toBe('Sorry for the wait.');
        expect(verbs[2].attrs.action).toBe(`${PUBLIC_URL}/channels/twilio/voice/voicemail?queue=Sales`);
        await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
        expect((await t.db.query(`SELECT state FROM contacts WHERE id = $1`, [contactId])).rows[0].state).toBe('abandoned');
      } finally {
        await request(t.url).patch(`/admin/queues/${sales.id}`).set('Authorization', `Bearer ${admin}`).send({ steps: [], afterHours: {}, afterHoursMessage: null }).expect(200);
        await alice.ack('presence:set', { state: 'available' });
      }
    });

    it('offers a closed queue\'s caller a call back instead, keeping their place', async () => {
      await closedRule('callback');
      const from = '+14155550142';
      const { callSid, contactId } = await callIntoSupport(from);
      const redirect = await eventually(async () => fake.callUpdates.find((u) => u.callSid === callSid && u.form.Twiml), 15_000, 'the caller redirected');
      expect(parseTwiml(redirect.form.Twiml).map((v) => v.name)).toEqual(['Say', 'Say', 'Hangup']);
      await post('/channels/twilio/voice/status', { ...callFields(callSid, from), CallStatus: 'completed' }).expect(204);
      expect((await t.db.query(`SELECT state FROM contacts WHERE id = $1`, [contactId])).rows[0].state).toBe('queued');
      expect((await call(contactId)).callback_requested).toBe(true);
      await t.db.query(`UPDATE contacts SET state = 'abandoned', closed_at = now() WHERE id = $1`, [contactId]);
    });
  });

  it("puts the call in the caller's timeline next to their other contacts", async () => {
    const { rows } = await t.db.query(`SELECT customer_id FROM contacts WHERE channel = 'voice' AND address = '+14155550123'`);
    const supervisor = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    const timeline = await request(t.url).get(`/customers/${rows[0].customer_id}/timeline`).set('Authorization', `Bearer ${supervisor}`).expect(200);
    expect(timeline.body.items.map((c: any) => c.channel)).toContain('voice');
  });
});
