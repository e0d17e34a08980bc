/** Channels a contact can arrive on. Stored in the database: never rename a value. */
export const CHANNELS = ['chat', 'sms', 'email', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Default capacity per channel for a new agent. */
export const DEFAULT_CAPACITY: Record<Channel, number> = { voice: 1, chat: 3, sms: 3, email: 5 };

/**
 * The contact lifecycle (see ARCHITECTURE.md). Stored in the database: never rename a value.
 * queued → offered → active → wrap_up → closed; offered → queued (rejected, timed out);
 * queued|offered → abandoned (customer left).
 */
export const CONTACT_STATES = ['queued', 'offered', 'active', 'wrap_up', 'closed', 'abandoned'] as const;
export type ContactState = (typeof CONTACT_STATES)[number];
export const OPEN_CONTACT_STATES: readonly ContactState[] = ['queued', 'offered', 'active', 'wrap_up'];

export const ROLES = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Presence an agent chooses. `busy` and `wrap_up` are derived from their contacts, not stored. */
export const PRESENCES = ['available', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

export const ACTOR_TYPES = ['system', 'customer', 'agent', 'supervisor', 'admin'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const IDENTITY_KINDS = ['email', 'phone', 'webchat'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** internal: a note for agents and supervisors, never sent to the customer */
export type MessageDirection = 'inbound' | 'outbound' | 'internal';

/**
 * Where an outbound SMS or email is. pending: stored, not yet handed to the provider; retrying: the
 * provider failed and another try is scheduled; queued/sent/delivered/undelivered: as the provider
 * reports; failed: given up (the error says why). Stored in the database: never rename a value.
 */
export const DELIVERY_STATUSES = ['pending', 'retrying', 'queued', 'sent', 'delivered', 'undelivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type AuthorType = 'customer' | 'agent' | 'system';
