import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SMS and email: what a message carries beyond its text (subject, HTML, the full original, the
 * provider's id, attachments), the delivery status of what we send, which of our numbers or
 * mailboxes a contact came in on, email threads (one customer may have several open), and SMS opt-outs.
 */
export class SmsEmailChannels1795900400000 implements MigrationInterface {
  name = 'SmsEmailChannels1795900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- internal: a note for agents and supervisors that is never sent to the customer
      ALTER TABLE messages DROP CONSTRAINT messages_direction_check;
      ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound', 'internal'));
      ALTER TABLE messages
        ADD COLUMN subject text,
        -- sanitised before it is stored: what an agent's browser renders
        ADD COLUMN html text,
        -- the whole text as received, when the body shown is a shortened form (quoted history stripped)
        ADD COLUMN full_body text,
        -- the provider's id (Twilio MessageSid, an email's Message-ID): threading and status callbacks find messages by it
        ADD COLUMN provider_message_id text,
        -- outbound SMS and email only; null for web chat, where the socket is the delivery
        ADD COLUMN delivery_status text CHECK (delivery_status IN ('pending', 'retrying', 'queued', 'sent', 'delivered', 'undelivered', 'failed')),
        ADD COLUMN delivery_error_code text,
        ADD COLUMN delivery_error text,
        ADD COLUMN delivery_updated_at timestamptz;
      CREATE INDEX messages_provider_id_idx ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
      -- the sweep re-enqueues deliveries whose job was lost between the insert and the enqueue
      CREATE INDEX messages_undelivered_idx ON messages (created_at) WHERE delivery_status IN ('pending', 'retrying');

      CREATE TABLE message_attachments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        message_id uuid NOT NULL REFERENCES messages (id),
        -- the order the customer attached them in
        position integer NOT NULL DEFAULT 0,
        filename text NOT NULL,
        content_type text NOT NULL,
        size integer NOT NULL CHECK (size >= 0),
        -- null when the file exceeded the configured limit (its name, type and size are still kept) or lives at url
        content bytea,
        -- where the provider keeps it (MMS media)
        url text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX message_attachments_message_idx ON message_attachments (message_id, position);

      -- a provider's status callback that arrived before its send answer told us the message's id:
      -- kept until the id is known, then applied
      CREATE TABLE early_delivery_statuses (
        provider_message_id text PRIMARY KEY,
        status text NOT NULL,
        error_code text,
        error text,
        received_at timestamptz NOT NULL DEFAULT now()
      );

      -- our side of the conversation: the number or mailbox the customer wrote to, which replies come from
      ALTER TABLE contacts ADD COLUMN channel_address text;
      -- a reply to a closed email thread opens a new contact that follows it
      ALTER TABLE contacts ADD COLUMN follows_contact_id uuid REFERENCES contacts (id);
      -- email is threaded by headers, not by address: a customer may have several threads open at once
      DROP INDEX contacts_one_open_per_address;
      CREATE UNIQUE INDEX contacts_one_open_per_address ON contacts (channel, address)
        WHERE state IN ('queued', 'offered', 'active', 'wrap_up') AND channel <> 'email';
      CREATE INDEX contacts_open_email_idx ON contacts (address) WHERE state IN ('queued', 'offered', 'active', 'wrap_up') AND channel = 'email';

      -- signed webhook tokens already used (Mailgun signs a timestamp and token, not the body): a replay is refused
      CREATE TABLE webhook_nonces (
        provider text NOT NULL,
        nonce text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, nonce)
      );

      -- carrier compliance: a number that texted STOP gets no SMS until it texts START
      CREATE TABLE sms_opt_outs (
        address text PRIMARY KEY,
        keyword text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- append-only audit of every compliance keyword received and what we answered
      CREATE TABLE sms_keyword_log (
        id bigserial PRIMARY KEY,
        address text NOT NULL,
        channel_address text,
        keyword text NOT NULL,
        external_id text NOT NULL UNIQUE,
        reply text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE webhook_nonces, early_delivery_statuses, sms_keyword_log, sms_opt_outs, message_attachments;
      DROP INDEX contacts_open_email_idx;
      DROP INDEX contacts_one_open_per_address;
      CREATE UNIQUE INDEX contacts_one_open_per_address ON contacts (channel, address) WHERE state IN ('queued', 'offered', 'active', 'wrap_up');
      ALTER TABLE contacts DROP COLUMN follows_contact_id, DROP COLUMN channel_address;
      DROP INDEX messages_undelivered_idx;
      DROP INDEX messages_provider_id_idx;
      ALTER TABLE messages DROP COLUMN subject, DROP COLUMN html, DROP COLUMN full_body, DROP COLUMN provider_message_id,
        DROP COLUMN delivery_status, DROP COLUMN delivery_error_code, DROP COLUMN delivery_error, DROP COLUMN delivery_updated_at;
      DELETE FROM messages WHERE direction = 'internal';
      ALTER TABLE messages DROP CONSTRAINT messages_direction_check;
      ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('inbound', 'outbound'));
    `);
  }
}
