import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import type { InboundMessageJob, MessageView } from '@cc/shared';
import { InjectConfig, RealtimeService } from '@cc/platform';
import { DeliveryFailure, inboundExternalId, MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from '@cc/contacts';
import type { SmsKeyword } from './sms-keywords';
import { TwilioSmsClient } from './twilio-sms.client';

const NOTE: Record<SmsKeyword, string> = {
  stop: 'The customer opted out of SMS. No SMS can be sent to them until they text START.',
  start: 'The customer opted back in to SMS.',
  help: 'The customer asked for help; the standard HELP reply was sent.',
};

/**
 * Carrier compliance for inbound SMS: STOP opts the number out (no SMS goes to it until START),
 * START opts it back in, HELP gets the configured reply. A keyword joins the customer's open
 * conversation, with a note for the agent, but never opens one. Each keyword is logged once, by
 * the message's id, so a retried webhook does not reply twice.
 */
@Injectable()
export class SmsComplianceService {
  private readonly logger = new Logger(SmsComplianceService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly twilio: TwilioSmsClient,
    private readonly realtime: RealtimeService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /**
   * Applies a keyword the customer texted, once per message (a retried job finds it logged): STOP
   * opts the number out, START back in, HELP sends the configured reply. A reply the provider refuses
   * for good is logged, not retried; a passing failure fails the job, which retries. Then the agent on
   * the conversation, if there is one, gets a note saying what happened.
   */
  async applyKeyword(job: InboundMessageJob, keyword: { kind: SmsKeyword; word: string }): Promise<void> {
    const [done] = await this.db.query(`SELECT 1 FROM sms_keyword_log WHERE external_id = $1`, [job.externalId]);
    let note = NOTE[keyword.kind];
    if (!done) {
      let reply: string | null = null;
      if (keyword.kind === 'stop') {
        await this.db.query(`INSERT INTO sms_opt_outs (address, keyword) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING`, [job.address, keyword.word]);
      } else if (keyword.kind === 'start') {
        await this.db.query(`DELETE FROM sms_opt_outs WHERE address = $1`, [job.address]);
      } else {
        try {
          await this.twilio.sendSms({ to: job.address, from: job.channelAddress ?? null, body: this.config.sms.helpReply });
          reply = this.config.sms.helpReply;
        } catch (e) {
          if (!(e instanceof DeliveryFailure) || !e.permanent) throw e;
          note = `The customer asked for help; the HELP reply was refused: ${e.message}`;
          this.logger.warn(`HELP reply to ${job.address} refused: ${e.message}`);
        }
      }
      await this.db.query(
        `INSERT INTO sms_keyword_log (address, channel_address, keyword, external_id, reply) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (external_id) DO NOTHING`,
        [job.address, job.channelAddress ?? null, keyword.word, job.externalId, reply],
      );
      this.logger.log(`SMS ${keyword.word} from ${job.address}`);
    }
    const [joined] = await this.db.query(`SELECT m.contact_id, c.agent_id FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.external_id = $1`, [
      inboundExternalId(job),
    ]);
    if (joined) await this.noteOnContact(joined.contact_id, joined.agent_id, note, job.externalId);
  }

  async isOptedOut(address: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM sms_opt_outs WHERE address = $1`, [address]);
    return rows.length > 0;
  }

  /** Tells the agent on the conversation what the keyword did, as an internal note (stored once). */
  private async noteOnContact(contactId: string, agentId: string | null, text: string, externalId: string): Promise<MessageView | null> {
    const [row]: MessageRow[] = await this.db.query(
      `WITH note AS (
         INSERT INTO messages (contact_id, direction, author_type, body, external_id)
         VALUES ($1, 'internal', 'system', $2, $3) ON CONFLICT (external_id) DO NOTHING RETURNING *
       )
       SELECT ${MESSAGE_VIEW_COLUMNS} FROM note m ${MESSAGE_VIEW_JOIN}`,
      [contactId, text, `sms-keyword-note:${externalId}`],
    );
    if (!row) return null;
    const note = toMessageView(row);
    if (agentId) await this.realtime.toAgent(agentId, 'message', note);
    await this.realtime.toMonitors(contactId, 'message', note);
    return note;
  }
}
