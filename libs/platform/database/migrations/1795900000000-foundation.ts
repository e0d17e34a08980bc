import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foundation schema: people, the unified customer record, contacts with their messages and
 * append-only event log, and the routing state (queues, agent capacity, offers).
 */
export class Foundation1795900000000 implements MigrationInterface {
  name = 'Foundation1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL UNIQUE CHECK (email = lower(email)),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
        password_hash text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE queues (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        channels text[] NOT NULL DEFAULT '{chat,sms,email,voice}',
        required_skills jsonb NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX queues_name_key ON queues (lower(name));

      CREATE TABLE agents (
        user_id uuid PRIMARY KEY REFERENCES users (id),
        presence text NOT NULL DEFAULT 'offline' CHECK (presence IN ('available', 'away', 'offline')),
        away_reason text,
        presence_since timestamptz NOT NULL DEFAULT now(),
        -- when the agent last received work or became available: longest idle goes first
        idle_since timestamptz NOT NULL DEFAULT now(),
        skills jsonb NOT NULL DEFAULT '{}',
        missed_offers integer NOT NULL DEFAULT 0
      );

      -- load counts contacts offered or assigned on that channel; the CHECK is the backstop
      -- against a capacity overrun, whatever the routing code does
      CREATE TABLE agent_capacities (
        agent_id uuid NOT NULL REFERENCES agents (user_id) ON DELETE CASCADE,
        channel text NOT NULL CHECK (channel IN ('chat', 'sms', 'email', 'voice')),
        capacity integer NOT NULL CHECK (capacity >= 0),
        load integer NOT NULL DEFAULT 0,
        PRIMARY KEY (agent_id, channel),
        CONSTRAINT load_within_capacity CHECK (load >= 0 AND load <= capacity)
      );

      CREATE TABLE queue_members (
        queue_id uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
        agent_id uuid NOT NULL REFERENCES agents (user_id) ON DELETE CASCADE,
        PRIMARY KEY (queue_id, agent_id)
      );
      CREATE INDEX queue_members_agent_idx ON queue_members (agent_id);

      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text,
        email text,
        phone text,
        tier text NOT NULL DEFAULT 'standard',
        preferences jsonb NOT NULL DEFAULT '{}',
        notes text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- how we recognise a customer: one row per address, each address belongs to one customer
      CREATE TABLE customer_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customers (id),
        kind text NOT NULL CHECK (kind IN ('email', 'phone', 'webchat')),
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (kind, value)
      );
      CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id);

      CREATE TABLE contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customers (id),
        channel text NOT NULL CHECK (channel IN ('chat', 'sms', 'email', 'voice')),
        -- the customer's address the contact came through (visitor id, number, mailbox)
        address text NOT NULL,
        queue_id uuid NOT NULL REFERENCES queues (id),
        state text NOT NULL CHECK (state IN ('queued', 'offered', 'active', 'wrap_up', 'closed', 'abandoned')),
        priority integer NOT NULL DEFAULT 0,
        -- the agent holding the contact: set while offered, active or in wrap-up
        agent_id uuid REFERENCES agents (user_id),
        disposition text,
        wrap_up_note text,
        created_at timestamptz NOT NULL DEFAULT now(),
        queued_at timestamptz NOT NULL DEFAULT now(),
        answered_at timestamptz,
        closed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT agent_matches_state CHECK ((agent_id IS NOT NULL) = (state IN ('offered', 'active', 'wrap_up')))
      );
      -- one open conversation per customer address and channel
      CREATE UNIQUE INDEX contacts_one_open_per_address ON contacts (channel, address)
        WHERE state IN ('queued', 'offered', 'active', 'wrap_up');
      CREATE INDEX contacts_waiting_idx ON contacts (queue_id, priority DESC, queued_at, id) WHERE state = 'queued';
      CREATE INDEX contacts_customer_idx ON contacts (customer_id, created_at DESC);
      CREATE INDEX contacts_agent_idx ON contacts (agent_id) WHERE agent_id IS NOT NULL;

      CREATE TABLE contact_offers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts (id),
        agent_id uuid NOT NULL REFERENCES agents (user_id),
        status text NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'expired', 'revoked')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        expires_at timestamptz NOT NULL,
        resolved_at timestamptz
      );
      -- the backstop against offering one contact to two agents at once
      CREATE UNIQUE INDEX contact_offers_one_pending ON contact_offers (contact_id) WHERE status = 'pending';
      CREATE INDEX contact_offers_contact_idx ON contact_offers (contact_id, agent_id);
      CREATE INDEX contact_offers_pending_expiry_idx ON contact_offers (expires_at) WHERE status = 'pending';

      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contact_id uuid NOT NULL REFERENCES contacts (id),
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        author_type text NOT NULL CHECK (author_type IN ('customer', 'agent', 'system')),
        author_id uuid,
        body text NOT NULL,
        -- the sender's id for the message, scoped by channel and sender: a retried send hits this key
        external_id text UNIQUE,
        client_message_id text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX messages_contact_idx ON messages (contact_id, created_at);

      -- append-only: every state change of every contact, with who caused it and why
      CREATE TABLE contact_events (
        id bigserial PRIMARY KEY,
        contact_id uuid NOT NULL REFERENCES contacts (id),
        type text NOT NULL,
        from_state text,
        to_state text,
        actor_type text NOT NULL CHECK (actor_type IN ('system', 'customer', 'agent', 'supervisor', 'admin')),
        actor_id uuid,
        reason text,
        data jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX contact_events_contact_idx ON contact_events (contact_id, id);

      -- used by the socket.io PostgreSQL adapter for payloads too large for NOTIFY
      CREATE TABLE socket_io_attachments (
        id bigserial UNIQUE,
        created_at timestamptz DEFAULT now(),
        payload bytea
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE socket_io_attachments, contact_events, messages, contact_offers, contacts,
        customer_identities, customers, queue_members, agent_capacities, agents, queues, users;
    `);
  }
}
