import { randomUUID } from 'node:crypto';
import type { IdentityKind } from '@cc/shared';

export interface InboundIdentity {
  kind: IdentityKind;
  value: string;
  name?: string;
  email?: string;
}

export interface KnownIdentity {
  kind: string;
  value: string;
  customer_id: string;
}

/** What a batch's customers need written: created customers, new identities, and names or emails learnt. */
export interface CustomerWrites {
  newCustomers: { id: string; name: string | null; email: string | null; phone: string | null }[];
  newIdentities: { customerId: string; kind: string; value: string }[];
  profileUpdates: Map<string, { name: string | null; email: string | null }>;
}

const addressKey = (w: { kind: string; value: string }) => `${w.kind}:${w.value}`;

/**
 * Finding the customer behind each address of an inbound batch, or creating one, in steps that the
 * arrival path folds into its own statements (statements are what it costs): take the locks, look
 * the identities up alongside its other reads, decide here, write alongside its other writes.
 * An email already known wins over a new address, so a visitor on a new browser who gives their
 * email joins their existing record.
 */
export class CustomerResolution {
  private readonly who: InboundIdentity[];
  /** Serialise first contacts from one address (and one email) across workers; sorted, so two batches never deadlock. */
  readonly lockKeys: string[];
  /** The identities to look up, as parallel arrays of kinds and values. */
  readonly lookup: { kinds: string[]; values: string[] };

  constructor(inputs: InboundIdentity[]) {
    this.who = inputs.map((i) => ({ ...i, email: i.email?.trim().toLowerCase() || undefined, name: i.name?.trim() || undefined }));
    this.lockKeys = [...new Set(this.who.flatMap((w) => [addressKey(w), ...(w.email && w.kind !== 'email' ? [`email:${w.email}`] : [])]))].sort();
    const wanted = [
      ...new Map(this.who.flatMap((w) => [[addressKey(w), [w.kind, w.value]], ...(w.email ? [[`email:${w.email}`, ['email', w.email]]] : [])] as [string, string[]][])).values(),
    ];
    this.lookup = { kinds: wanted.map((w) => w[0]), values: wanted.map((w) => w[1]) };
  }

  /** Given the identities found (under the locks), one customer id per input, in order, and what to write. */
  decide(found: KnownIdentity[]): { customerIds: string[]; writes: CustomerWrites } {
    const owner = new Map(found.map((r) => [`${r.kind}:${r.value}`, r.customer_id]));
    const writes: CustomerWrites = { newCustomers: [], newIdentities: [], profileUpdates: new Map() };
    const customerIds = this.who.map((w) => {
      const emailKey = w.email ? `email:${w.email}` : undefined;
      let customerId = (emailKey && owner.get(emailKey)) || owner.get(addressKey(w));
      if (!customerId) {
        customerId = randomUUID();
        writes.newCustomers.push({ id: customerId, name: w.name ?? null, email: w.email ?? (w.kind === 'email' ? w.value : null), phone: w.kind === 'phone' ? w.value : null });
      } else if (w.name || w.email) {
        writes.profileUpdates.set(customerId, { name: w.name ?? null, email: w.email ?? null });
      }
      for (const [key, kind, value] of [[addressKey(w), w.kind, w.value], ...(emailKey && w.kind !== 'email' ? [[emailKey, 'email', w.email!]] : [])]) {
        if (owner.has(key)) continue;
        owner.set(key, customerId);
        writes.newIdentities.push({ customerId, kind, value });
      }
      return customerId;
    });
    return { customerIds, writes };
  }
}

/** The statement that takes a batch's address locks (`$1`: CustomerResolution.lockKeys); on its own, so later reads see what the holders wrote. */
export const LOCK_ADDRESSES_SQL = `SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) sorted`;

/** A json array of the known identities among the kinds and values in the two given array parameters. */
export const knownIdentitiesSql = (kinds: string, values: string) =>
  `(SELECT COALESCE(json_agg(json_build_object('kind', i.kind, 'value', i.value, 'customer_id', i.customer_id)), '[]')
      FROM customer_identities i JOIN unnest(${kinds}::text[], ${values}::text[]) AS w(kind, value) ON w.kind = i.kind AND w.value = i.value)`;

/**
 * Two CTEs that create the new customers and their identities (every new customer has one), for a
 * statement that writes more besides; `$n` numbering starts at `first`. Pair with customerWriteValues.
 */
export const createCustomersCtes = (first: number) => {
  const p = (i: number) => `$${first + i}`;
  return `new_customers AS (
      INSERT INTO customers (id, name, email, phone) SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[])
    ), new_identities AS (
      INSERT INTO customer_identities (customer_id, kind, value) SELECT * FROM unnest(${p(4)}::uuid[], ${p(5)}::text[], ${p(6)}::text[])
      ON CONFLICT (kind, value) DO NOTHING
    )`;
};

/** The seven parameters createCustomersCtes reads. */
export const customerWriteValues = (w: CustomerWrites): unknown[] => [
  w.newCustomers.map((c) => c.id),
  w.newCustomers.map((c) => c.name),
  w.newCustomers.map((c) => c.email),
  w.newCustomers.map((c) => c.phone),
  w.newIdentities.map((i) => i.customerId),
  w.newIdentities.map((i) => i.kind),
  w.newIdentities.map((i) => i.value),
];
