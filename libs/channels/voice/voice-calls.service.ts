import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import twilio from 'twilio';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode } from '@cc/shared';
import { InjectConfig, updateReturning } from '@cc/platform';
import { toE164 } from '@cc/customers';
import { InboundService, inboundExternalId, recordContactEvent } from '@cc/contacts';
import { ContactLifecycleService, QueuesService } from '@cc/routing';
import { TwilioSmsClient } from '@cc/channels/sms';
import { chosenOption, menuAt, type MenuOption, parseVoiceMenu, type VoiceMenu } from './voice-menu';
import { VOICE_PROVIDER, type VoiceProvider } from './voice-provider';

/** how long a customer's phone rings for a call back */
const CALLBACK_RING_SECONDS = 30;

/** The webhooks Twilio calls for a call's life; each is verified like every Twilio request. */
export const VOICE_PATHS = {
  incoming: '/channels/twilio/voice',
  menu: '/channels/twilio/voice/menu',
  wait: '/channels/twilio/voice/wait',
  join: '/channels/twilio/voice/join',
  agent: '/channels/twilio/voice/agent',
  agentStatus: '/channels/twilio/voice/agent-status',
  status: '/channels/twilio/voice/status',
  voicemail: '/channels/twilio/voice/voicemail',
  callback: '/channels/twilio/voice/callback',
  callbackStatus: '/channels/twilio/voice/callback-status',
  recording: '/channels/twilio/voice/recording',
  transcription: '/channels/twilio/voice/transcription',
} as const;

/** Twilio's final states of a call leg. */
const ENDED = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

type Twiml = InstanceType<typeof twilio.twiml.VoiceResponse>;

interface CallRow {
  call_sid: string;
  contact_id: string | null;
  from_number: string;
  to_number: string;
  agent_id: string | null;
  agent_call_sid: string | null;
  previous_agent_call_sid: string | null;
  bridged_at: Date | null;
  callback_requested: boolean;
  callback_attempts: number;
  callback_call_sid: string | null;
  voicemail_left: boolean;
  on_hold: boolean;
  hold_started_at: Date | null;
  hold_seconds: number;
  ended_at: Date | null;
}

/**
 * The voice channel's call flow, on Twilio's Programmable Voice webhooks and TwiML (the legs are
 * moved through a VoiceProvider): a call is answered with the dialled number's menu,
 * becomes a contact in the chosen queue (the same routing, capacity and customer record as every
 * channel), waits hearing its place and hold music, and when an agent accepts, the agent's phone is
 * rung and both legs meet in a conference named after the contact. An agent leg that is not answered
 * puts the call back in the queue; the caller is never dropped. Every answer is TwiML.
 */
@Injectable()
export class VoiceCallsService {
  private readonly logger = new Logger(VoiceCallsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly twilio: TwilioSmsClient,
    @Inject(VOICE_PROVIDER) private readonly provider: VoiceProvider,
    private readonly inbound: InboundService,
    private readonly queues: QueuesService,
    private readonly lifecycle: ContactLifecycleService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  verify(signature: string | undefined, pathWithQuery: string, fields: Record<string, string>): void {
    this.twilio.verifySignature(signature, pathWithQuery, fields);
  }

  /** A new call: recorded once (a retried webhook answers the same), then the number's menu, or straight to the queue. */
  async incoming(fields: Record<string, string>): Promise<string> {
    const callSid = requireField(fields, 'CallSid');
    const from = toE164(requireField(fields, 'From'), this.config.defaultPhoneRegion);
    const to = toE164(requireField(fields, 'To'), this.config.defaultPhoneRegion);
    if (!from || !to) throw new DomainError(ErrorCode.ValidationFailed, 'From and To must be phone numbers');
    await this.db.query(
      `INSERT INTO voice_calls (call_sid, from_number, to_number, status) VALUES ($1, $2, $3, $4) ON CONFLICT (call_sid) DO NOTHING`,
      [callSid, from, to, fields.CallStatus ?? 'ringing'],
    );
    const call = await this.call(callSid);
    if (call.contact_id) return this.waitTwiml(call.contact_id);
    const menu = await this.menuOf(to);
    if (!menu) return this.choose(call, { queue: this.config.voice.defaultQueue });
    const r = new twilio.twiml.VoiceResponse();
    if (menu.greeting) r.say(menu.greeting);
    this.gather(r, menu, '', 0);
    return r.toString();
  }

  /** The caller pressed a key (or said something) in the menu at `path`, or nothing (`attempt` counts the silences). */
  async menuChoice(fields: Record<string, string>, path: string, attempt: number): Promise<string> {
    const call = await this.call(requireField(fields, 'CallSid'));
    if (call.contact_id) return this.waitTwiml(call.contact_id);
    const root = await this.menuOf(call.to_number);
    const menu = root ? menuAt(root, path) : null;
    if (!menu) return this.choose(call, { queue: this.config.voice.defaultQueue });
    const chosen = chosenOption(menu, fields.Digits, fields.SpeechResult);
    if (chosen && 'menu' in chosen.option) {
      const r = new twilio.twiml.VoiceResponse();
      this.gather(r, chosen.option.menu, path + chosen.key, 0);
      return r.toString();
    }
    if (chosen) return this.choose(call, chosen.option);
    const repeats = menu.repeat ?? 2;
    if (attempt < repeats) {
      const r = new twilio.twiml.VoiceResponse();
      if (fields.Digits || fields.SpeechResult) r.say("Sorry, that's not an option.");
      this.gather(r, menu, path, attempt + 1);
      return r.toString();
    }
    return this.choose(call, menu.default ?? { queue: this.config.voice.defaultQueue });
  }

  /**
   * The caller's hold loop: their place in the queue, the estimated wait and music, until an agent is
   * on the line. Pressing * during it asks for a call back instead, keeping their place.
   */
  async waitTwiml(contactId: string): Promise<string> {
    const [c] = await this.db.query(
      `SELECT c.state, c.queue_id, c.queued_at, v.bridged_at, v.callback_requested,
              (SELECT count(*)::int FROM contacts w WHERE w.queue_id = c.queue_id AND w.state = 'queued' AND w.queued_at <= c.queued_at) AS position,
              (SELECT count(*)::int FROM contacts a WHERE a.queue_id = c.queue_id AND a.answered_at > now() - interval '15 minutes') AS recently_answered
         FROM contacts c JOIN voice_calls v ON v.contact_id = c.id WHERE c.id = $1`,
      [contactId],
    );
    const r = new twilio.twiml.VoiceResponse();
    if (!c || c.callback_requested || ['closed', 'abandoned', 'wrap_up'].includes(c.state)) {
      r.hangup();
      return r.toString();
    }
    if (c.state === 'active' && c.bridged_at) return this.joinTwiml(contactId);
    const g = r.gather({ numDigits: 1, timeout: 1, action: this.url(`${VOICE_PATHS.callback}?contactId=${contactId}`), method: 'POST' });
    if (c.state === 'queued' && c.position > 0) {
      g.say(`You are number ${c.position} in the queue.`);
      // the recent pace of the queue: answers in the last 15 minutes
      if (c.recently_answered >= 2) g.say(`Your estimated wait is about ${Math.max(1, Math.round((c.position * 15) / c.recently_answered))} minutes.`);
      g.say('To keep your place and be called back, press star.');
    }
    g.play(this.config.voice.holdMusicUrl);
    r.redirect({ method: 'POST' }, this.url(`${VOICE_PATHS.wait}?contactId=${contactId}`));
    return r.toString();
  }

  /** A key pressed while waiting: * keeps the caller's place and ends the call; they will be called back. */
  async callbackChoice(contactId: string, fields: Record<string, string>): Promise<string> {
    const r = new twilio.twiml.VoiceResponse();
    if (fields.Digits !== '*') {
      r.redirect({ method: 'POST' }, this.url(`${VOICE_PATHS.wait}?contactId=${contactId}`));
      return r.toString();
    }
    const [marked] = await updateReturning(
      this.db,
      `UPDATE voice_calls v SET callback_requested = true FROM contacts c
        WHERE v.contact_id = $1 AND c.id = v.contact_id AND c.state IN ('queued', 'offered') AND NOT v.callback_requested RETURNING v.call_sid`,
      [contactId],
    );
    if (marked) await this.event(contactId, 'callback_requested', {});
    r.say('Thank you. You keep your place in the queue, and we will call you back at this number.');
    r.hangup();
    return r.toString();
  }

  /** The caller (or the agent) into the contact's conference; recorded if the queue records calls. */
  async joinTwiml(contactId: string, leg: 'caller' | 'agent' = 'caller'): Promise<string> {
    const [q] = await this.db.query(`SELECT q.record_calls FROM contacts c JOIN queues q ON q.id = c.queue_id WHERE c.id = $1`, [contactId]);
    const r = new twilio.twiml.VoiceResponse();
    r.dial().conference(
      {
        startConferenceOnEnter: true,
        // the call ends when the customer or the agent hangs up; a transfer moves the customer out first
        endConferenceOnExit: true,
        beep: 'false',
        waitUrl: this.config.voice.holdMusicUrl,
        ...(q?.record_calls && leg === 'caller'
          ? { record: 'record-from-start', recordingStatusCallback: this.url(`${VOICE_PATHS.recording}?contactId=${contactId}`), recordingStatusCallbackEvent: ['completed'] }
          : {}),
      },
      conferenceName(contactId),
    );
    if (leg === 'caller') r.hangup();
    return r.toString();
  }

  /** An agent accepted the call: ring their phone; when they answer, they meet the customer. */
  async bridge(contactId: string): Promise<void> {
    const [row] = await this.db.query(
      `SELECT v.call_sid, v.to_number, v.agent_call_sid, v.bridged_at, v.ended_at, v.callback_requested, c.agent_id, c.state, a.voice_endpoint
         FROM voice_calls v JOIN contacts c ON c.id = v.contact_id LEFT JOIN agents a ON a.user_id = c.agent_id WHERE v.contact_id = $1`,
      [contactId],
    );
    // a caller who hung up while the offer was out cannot be bridged (unless they asked to be called back)
    if (!row || row.state !== 'active' || !row.agent_id || (row.ended_at && !row.callback_requested)) return;
    if (!row.voice_endpoint) {
      this.logger.warn(`agent ${row.agent_id} has no voice endpoint: call ${row.call_sid} goes back to the queue`);
      await this.agentUnreachable(contactId, row.agent_id, 'no_voice_endpoint');
      return;
    }
    const legId = await this.provider.call({
      to: row.voice_endpoint,
      from: row.to_number,
      answerUrl: this.url(`${VOICE_PATHS.agent}?contactId=${contactId}`),
      statusUrl: this.url(`${VOICE_PATHS.agentStatus}?contactId=${contactId}`),
      ringSeconds: this.config.voice.agentRingSeconds,
    });
    // a warm transfer: the first agent's leg stays until the second agent answers
    await this.db.query(
      `UPDATE voice_calls SET agent_id = $2, agent_call_sid = $3, agent_rung_at = now(),
              previous_agent_call_sid = CASE WHEN bridged_at IS NOT NULL THEN agent_call_sid END
        WHERE contact_id = $1`,
      [contactId, row.agent_id, legId],
    );
  }

  /**
   * The agent answered their phone: they join the conference. A waiting caller is moved into it; a
   * caller who asked to be called back is called now; a previous agent (warm transfer) leaves.
   */
  async agentAnswered(contactId: string, agentCallSid: string): Promise<string> {
    const call = await this.callOfContact(contactId);
    if (!call || call.agent_call_sid !== agentCallSid || (call.ended_at && !call.callback_requested)) {
      const r = new twilio.twiml.VoiceResponse();
      r.say('This call has ended.');
      r.hangup();
      return r.toString();
    }
    const firstBridge = !call.bridged_at;
    await this.db.query(`UPDATE voice_calls SET bridged_at = COALESCE(bridged_at, now()), previous_agent_call_sid = NULL WHERE contact_id = $1`, [contactId]);
    if (call.callback_requested && firstBridge) await this.placeCallback(contactId);
    else if (firstBridge) await this.provider.redirect(call.call_sid, this.url(`${VOICE_PATHS.join}?contactId=${contactId}`));
    if (call.previous_agent_call_sid) await this.provider.hangUp(call.previous_agent_call_sid);
    await this.event(contactId, 'call_bridged', { agentId: call.agent_id, agentCallSid });
    return this.joinTwiml(contactId, 'agent');
  }

  /**
   * The contact went back to a queue (cold transfer, requeue): a customer on the line leaves the
   * conference for the hold loop, and the agent's leg is hung up. The customer is never dropped.
   */
  async backToQueue(contactId: string): Promise<void> {
    const call = await this.callOfContact(contactId);
    if (!call || !call.bridged_at || call.ended_at) return;
    await this.provider.redirect(call.callback_call_sid ?? call.call_sid, this.url(`${VOICE_PATHS.wait}?contactId=${contactId}`));
    if (call.agent_call_sid) await this.provider.hangUp(call.agent_call_sid);
    await this.db.query(`UPDATE voice_calls SET agent_id = NULL, agent_call_sid = NULL, bridged_at = NULL, agent_rung_at = NULL WHERE contact_id = $1`, [contactId]);
    await this.event(contactId, 'call_returned_to_queue', { agentId: call.agent_id });
  }

  /** The agent ended the conversation: both legs of the call are hung up (the status callbacks then close it out). */
  async hangUp(contactId: string): Promise<void> {
    const call = await this.callOfContact(contactId);
    if (!call || call.ended_at) return;
    const customerLeg = call.callback_requested ? call.callback_call_sid : call.call_sid;
    if (customerLeg) await this.provider.hangUp(customerLeg);
    if (call.agent_call_sid) await this.provider.hangUp(call.agent_call_sid);
    await this.event(contactId, 'call_hung_up', { by: 'agent', agentId: call.agent_id });
  }

  /** The agent's leg ended: unanswered before the bridge, the call goes back to the queue and the offer counts as missed. */
  async agentLegStatus(contactId: string, fields: Record<string, string>): Promise<void> {
    const status = fields.CallStatus ?? '';
    const call = await this.callOfContact(contactId);
    if (!call || call.agent_call_sid !== fields.CallSid || !ENDED.includes(status)) return;
    if (!call.bridged_at && call.agent_id) await this.agentUnreachable(contactId, call.agent_id, status);
  }

  /** A call back to the customer ended: unanswered, it is tried again up to the limit, then given up. */
  async callbackLegStatus(contactId: string, fields: Record<string, string>): Promise<void> {
    const status = fields.CallStatus ?? '';
    const call = await this.callOfContact(contactId);
    if (!call || call.callback_call_sid !== fields.CallSid || !ENDED.includes(status)) return;
    await this.event(contactId, 'callback_leg_ended', { attempt: call.callback_attempts, callStatus: status });
    if (status !== 'completed' && call.callback_attempts < this.config.voice.callbackAttempts) {
      await this.placeCallback(contactId);
      return;
    }
    if (status !== 'completed') {
      await this.event(contactId, 'callback_failed', { attempts: call.callback_attempts });
      if (call.agent_call_sid) await this.provider.hangUp(call.agent_call_sid);
    }
    await this.endCall(call.call_sid, status, true);
  }

  /** The caller's leg changed: when it ended, the contact is abandoned (still waiting) or left to its agent to wrap up. */
  async callerStatus(fields: Record<string, string>): Promise<void> {
    const status = fields.CallStatus ?? '';
    if (!ENDED.includes(status)) return;
    const call = await this.call(requireField(fields, 'CallSid'));
    // a caller who asked to be called back, or left a message on their contact, hung up on purpose: it keeps its place
    if (call.callback_requested || call.voicemail_left) return;
    await this.endCall(call.call_sid, status, false);
  }

  private async endCall(callSid: string, status: string, viaCallback: boolean): Promise<void> {
    const [call] = await updateReturning<CallRow>(
      this.db,
      `UPDATE voice_calls SET status = $2, ended_at = COALESCE(ended_at, now()),
              hold_seconds = hold_seconds + CASE WHEN on_hold THEN extract(epoch FROM now() - hold_started_at)::int ELSE 0 END, on_hold = false
        WHERE call_sid = $1 AND ended_at IS NULL RETURNING *`,
      [callSid, status],
    );
    if (!call?.contact_id) return;
    const [times] = await this.db.query(
      `SELECT extract(epoch FROM COALESCE(v.bridged_at, v.ended_at) - c.created_at)::int AS wait_seconds,
              COALESCE(extract(epoch FROM v.bridged_at - v.agent_rung_at)::int, 0) AS ring_seconds,
              CASE WHEN v.bridged_at IS NULL THEN 0 ELSE extract(epoch FROM v.ended_at - v.bridged_at)::int - v.hold_seconds END AS talk_seconds,
              v.hold_seconds
         FROM voice_calls v JOIN contacts c ON c.id = v.contact_id WHERE v.call_sid = $1`,
      [callSid],
    );
    await this.event(call.contact_id, 'call_ended', {
      callStatus: status,
      viaCallback,
      waitSeconds: times.wait_seconds,
      ringSeconds: times.ring_seconds,
      talkSeconds: times.talk_seconds,
      holdSeconds: times.hold_seconds,
    });
    await this.lifecycle.customerLeft('voice', call.from_number);
  }

  /** The recording of a call, when the provider has it: kept on the call and in the contact's log. */
  async recording(contactId: string, fields: Record<string, string>): Promise<void> {
    const url = requireField(fields, 'RecordingUrl');
    const [updated] = await updateReturning(this.db, `UPDATE voice_calls SET recording_url = $2 WHERE contact_id = $1 AND recording_url IS NULL RETURNING call_sid`, [
      contactId,
      url,
    ]);
    if (updated) await this.event(contactId, 'call_recorded', { recordingUrl: url, recordingSid: fields.RecordingSid ?? null });
  }

  private async placeCallback(contactId: string): Promise<void> {
    const [call] = await updateReturning<CallRow>(
      this.db,
      `UPDATE voice_calls SET callback_attempts = callback_attempts + 1 WHERE contact_id = $1 RETURNING *`,
      [contactId],
    );
    const legId = await this.provider.call({
      to: call.from_number,
      from: call.to_number,
      answerUrl: this.url(`${VOICE_PATHS.join}?contactId=${contactId}`),
      statusUrl: this.url(`${VOICE_PATHS.callbackStatus}?contactId=${contactId}`),
      ringSeconds: CALLBACK_RING_SECONDS,
    });
    await this.db.query(`UPDATE voice_calls SET callback_call_sid = $2 WHERE contact_id = $1`, [contactId, legId]);
    await this.event(contactId, 'callback_attempt', { attempt: call.callback_attempts, callSid: legId });
  }

  /** The agent puts the caller on hold (music) or takes them back into the conversation. */
  async hold(agentId: string, contactId: string, on: boolean): Promise<void> {
    const call = await this.callOfContact(contactId);
    if (!call || call.agent_id !== agentId || !call.bridged_at || call.ended_at) {
      throw new DomainError(ErrorCode.InvalidState, 'no call in progress on this contact for this agent');
    }
    if (call.on_hold === on) return;
    if (on) {
      const music = new twilio.twiml.VoiceResponse();
      music.play({ loop: 0 }, this.config.voice.holdMusicUrl);
      await this.provider.instruct(call.call_sid, music.toString());
    } else {
      await this.provider.redirect(call.call_sid, this.url(`${VOICE_PATHS.join}?contactId=${contactId}`));
    }
    await this.db.query(
      `UPDATE voice_calls SET on_hold = $2, hold_started_at = CASE WHEN $2 THEN now() END,
              hold_seconds = hold_seconds + CASE WHEN NOT $2 AND hold_started_at IS NOT NULL THEN extract(epoch FROM now() - hold_started_at)::int ELSE 0 END
        WHERE contact_id = $1`,
      [contactId, on],
    );
    await this.event(contactId, on ? 'call_held' : 'call_resumed', { agentId }, { type: 'agent', id: agentId });
  }

  /**
   * A voicemail was recorded: it becomes a contact in the box's queue, routed to agents like any
   * other, with the recording attached (the transcript follows when the provider sends it).
   */
  async voicemail(fields: Record<string, string>, queueName: string): Promise<string> {
    const call = await this.call(requireField(fields, 'CallSid'));
    // left on the call's own waiting contact (after hours) it joins that contact, which keeps its place
    if (call.contact_id) await this.db.query(`UPDATE voice_calls SET voicemail_left = true WHERE call_sid = $1`, [call.call_sid]);
    const recordingUrl = requireField(fields, 'RecordingUrl');
    const seconds = Number(fields.RecordingDuration ?? 0);
    const r = new twilio.twiml.VoiceResponse();
    if (seconds > 0) {
      await this.inbound.ingest({
        channel: 'voice',
        address: call.from_number,
        externalId: `${call.call_sid}:voicemail`,
        text: `Voicemail (${seconds} s)`,
        queueId: await this.queues.activeIdByName(queueName, 'voice'),
        receivedAt: Date.now(),
        channelAddress: call.to_number,
        providerMessageId: fields.RecordingSid,
        content: { attachments: [{ filename: 'voicemail.mp3', contentType: 'audio/mpeg', size: 0, contentBase64: null, url: `${recordingUrl}.mp3` }] },
      });
      r.say('Thank you. We will get back to you.');
    }
    r.hangup();
    return r.toString();
  }

  /**
   * A waiting caller meets the queue's after-hours rule for voice: they hear the queue's message,
   * then are asked for a voicemail (it joins their contact, which waits for the opening) or promised
   * a call back (their contact keeps its place and the call ends).
   */
  async afterHours(contactId: string, text: string | null, action: 'voicemail' | 'callback'): Promise<void> {
    const call = await this.callOfContact(contactId);
    if (!call || call.ended_at || call.bridged_at || call.callback_requested) return;
    const [contact] = await this.db.query(`SELECT q.name AS queue FROM contacts c JOIN queues q ON q.id = c.queue_id WHERE c.id = $1 AND c.state = 'queued'`, [contactId]);
    if (!contact) return;
    const r = new twilio.twiml.VoiceResponse();
    if (text) r.say(text);
    if (action === 'voicemail') {
      this.askForVoicemail(r, contact.queue);
    } else {
      await this.db.query(`UPDATE voice_calls SET callback_requested = true WHERE call_sid = $1`, [call.call_sid]);
      r.say('You keep your place, and we will call you back at this number. Goodbye.');
      r.hangup();
    }
    await this.provider.instruct(call.call_sid, r.toString());
    await this.event(contactId, action === 'voicemail' ? 'voicemail_offered' : 'callback_requested', { reason: 'after_hours' });
  }

  /** The provider's transcript of a voicemail: added to its message. */
  async transcription(fields: Record<string, string>): Promise<void> {
    if (fields.TranscriptionStatus && fields.TranscriptionStatus !== 'completed') return;
    const text = fields.TranscriptionText;
    if (!text) return;
    const call = await this.call(requireField(fields, 'CallSid'));
    const externalId = inboundExternalId({ channel: 'voice', address: call.from_number, externalId: `${call.call_sid}:voicemail` });
    await this.db.query(`UPDATE messages SET body = body || ': ' || $2, full_body = $2 WHERE external_id = $1 AND full_body IS NULL`, [externalId, text]);
  }

  /** Sets (or, with null, removes) the menu a number answers with. */
  async setMenu(number: string, menu: unknown | null): Promise<VoiceMenu | null> {
    const e164 = toE164(number, this.config.defaultPhoneRegion);
    if (!e164) throw new DomainError(ErrorCode.ValidationFailed, `"${number}" is not a phone number`);
    if (menu === null) {
      await this.db.query(`DELETE FROM voice_menus WHERE number = $1`, [e164]);
      return null;
    }
    const parsed = parseVoiceMenu(menu);
    for (const queue of queuesOf(parsed)) await this.queues.activeIdByName(queue, 'voice');
    await this.db.query(
      `INSERT INTO voice_menus (number, menu) VALUES ($1, $2) ON CONFLICT (number) DO UPDATE SET menu = EXCLUDED.menu, updated_at = now()`,
      [e164, JSON.stringify(parsed)],
    );
    return parsed;
  }

  async menuOf(number: string): Promise<VoiceMenu | null> {
    const [row] = await this.db.query(`SELECT menu FROM voice_menus WHERE number = $1`, [toE164(number, this.config.defaultPhoneRegion) ?? number]);
    return row?.menu ?? null;
  }

  /** The caller chose: a queue (the call becomes a contact there) or a voicemail box. */
  private async choose(call: CallRow, option: MenuOption): Promise<string> {
    if ('voicemail' in option) {
      const r = new twilio.twiml.VoiceResponse();
      this.askForVoicemail(r, option.voicemail.queue);
      return r.toString();
    }
    if ('menu' in option) throw new DomainError(ErrorCode.ValidationFailed, 'a menu is not a destination');
    const queueId = await this.queues.activeIdByName(option.queue, 'voice');
    const result = await this.inbound.ingest({
      channel: 'voice',
      address: call.from_number,
      externalId: call.call_sid,
      text: 'Phone call',
      queueId,
      receivedAt: Date.now(),
      channelAddress: call.to_number,
      providerMessageId: call.call_sid,
    });
    const contactId = result.duplicate ? (await this.call(call.call_sid)).contact_id : result.contact?.id;
    if (!contactId) throw new Error(`call ${call.call_sid} was not stored as a contact`);
    await this.db.query(`UPDATE voice_calls SET contact_id = $2 WHERE call_sid = $1 AND contact_id IS NULL`, [call.call_sid, contactId]);
    return this.waitTwiml(contactId);
  }

  /** The voicemail prompt and recording; the message goes to `queue`, with a transcript when the provider makes one. */
  private askForVoicemail(r: Twiml, queue: string): void {
    r.say('Please leave your message after the tone. Press the hash key or hang up when you are done.');
    r.record({
      action: this.url(`${VOICE_PATHS.voicemail}?queue=${encodeURIComponent(queue)}`),
      method: 'POST',
      maxLength: 300,
      finishOnKey: '#',
      playBeep: true,
      transcribe: true,
      transcribeCallback: this.url(VOICE_PATHS.transcription),
    });
  }

  private gather(r: Twiml, menu: VoiceMenu, path: string, attempt: number): void {
    const action = this.url(`${VOICE_PATHS.menu}?path=${path}&attempt=${attempt}`);
    const g = r.gather({ input: menu.speech ? ['dtmf', 'speech'] : ['dtmf'], numDigits: 1, timeout: menu.timeoutSeconds ?? 5, action, method: 'POST' });
    g.say(menu.prompt);
    // no input: the same action with nothing chosen counts a silence
    r.redirect({ method: 'POST' }, action);
  }

  private async agentUnreachable(contactId: string, agentId: string, why: string): Promise<void> {
    await this.db.query(`UPDATE voice_calls SET agent_id = NULL, agent_call_sid = NULL WHERE contact_id = $1`, [contactId]);
    await this.db.query(`UPDATE agents SET missed_offers = missed_offers + 1 WHERE user_id = $1`, [agentId]);
    await this.event(contactId, 'agent_leg_failed', { agentId, callStatus: why });
    await this.lifecycle.requeue(contactId, { actor: { type: 'system', id: null }, why: 'agent_unreachable' });
  }

  private async call(callSid: string): Promise<CallRow> {
    const [row] = await this.db.query(`SELECT * FROM voice_calls WHERE call_sid = $1`, [callSid]);
    if (!row) throw new DomainError(ErrorCode.NotFound, `call ${callSid} is not known here`);
    return row;
  }

  private async callOfContact(contactId: string): Promise<CallRow | null> {
    const [row] = await this.db.query(`SELECT * FROM voice_calls WHERE contact_id = $1`, [contactId]);
    return row ?? null;
  }

  private event(contactId: string, type: string, data: Record<string, unknown>, actor: { type: 'system' | 'agent'; id?: string } = { type: 'system' }) {
    return this.db.transaction((m) => recordContactEvent(m, { contactId, type, actor, data }));
  }

  private url(path: string): string {
    return this.config.publicUrl + path;
  }
}

export const conferenceName = (contactId: string) => `cc-${contactId}`;

function requireField(fields: Record<string, string>, name: string): string {
  const value = fields[name];
  if (!value) throw new DomainError(ErrorCode.ValidationFailed, `the Twilio request has no ${name}`);
  return value;
}

function queuesOf(menu: VoiceMenu): string[] {
  const options = [...Object.values(menu.options), ...(menu.default ? [menu.default] : [])];
  return options.flatMap((o) => ('queue' in o ? [o.queue] : 'voicemail' in o ? [o.voicemail.queue] : queuesOf(o.menu)));
}
