import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type IdentityKind, type RoutingSignal } from '@cc/shared';
import { InjectConfig, preparedQuery, signalRouting } from '@cc/platform';
import { Customer } from './customer.entity';
import { toE164 } from './phone-number';
import { CustomerIdentity } from './customer-identity.entity';

export interface InboundIdentity {
  kind: IdentityKind;
  value: string;
  name?: string;
  email?: string;
}

export interface CustomerUpdate {
  name?: string;
  tier?: string;
  preferences?: Record<string, unknown>;
  notes?: string;
}

/** The unified customer record: recognising a customer by any of their addresses, and what we know of them. */
@Injectable()
export class CustomersService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @InjectRepository(CustomerIdentity) private readonly identities: Repository<CustomerIdentity>,
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /**
   * Finds the customer behind each inbound address, or creates one; links a given email to them.
   * Runs inside the caller's transaction, for a whole batch in a fixed number of statements. An email
   * already known wins over a new address, so a visitor on a new browser who gives their email joins
   * their existing record. Answers one customer id per input, in order.
   */
  async resolveMany(m: EntityManager, inputs: InboundIdentity[]): Promise<string[]> {
    const who = inputs.map((i) => ({ ...i, email: i.email?.trim().toLowerCase() || undefined, name: i.name?.trim() || undefined }));
    const addressKey = (w: { kind: string; value: string }) => `${w.kind}:${w.value}`;
    // serialise first contacts from one address (and one email) across workers; sorted, so two batches never deadlock
    const lockKeys = [...new Set(who.flatMap((w) => [addressKey(w), ...(w.email && w.kind !== 'email' ? [`email:${w.email}`] : [])]))].sort();
    await preparedQuery(m, `SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) sorted`, [lockKeys]);

    const wanted = [...new Map(who.flatMap((w) => [[addressKey(w), [w.kind, w.value]], ...(w.email ? [[`email:${w.email}`, ['email', w.email]]] : [])] as [string, string[]][])).values()];
    const found = await preparedQuery<{ kind: string; value: string; customer_id: string }>(
      m,
      `SELECT i.kind, i.value, i.customer_id FROM customer_identities i
         JOIN unnest($1::text[], $2::text[]) AS w(kind, value) ON w.kind = i.kind AND w.value = i.value`,
      [wanted.map((w) => w[0]), wanted.map((w) => w[1])],
    );
    const owner = new Map(found.map((r) => [`${r.kind}:${r.value}`, r.customer_id]));

    const newCustomers: { id: string; name: string | null; email: string | null; phone: string | null }[] = [];
    const newIdentities: { customerId: string; kind: string; value: string }[] = [];
    const profileUpdates = new Map<string, { name: string | null; email: string | null }>();
    const result = who.map((w) => {
      const emailKey = w.email ? `email:${w.email}` : undefined;
      let customerId = (emailKey && owner.get(emailKey)) || owner.get(addressKey(w));
      if (!customerId) {
        customerId = randomUUID();
        newCustomers.push({ id: customerId, name: w.name ?? null, email: w.email ?? (w.kind === 'email' ? w.value : null), phone: w.kind === 'phone' ? w.value : null });
      } else if (w.name || w.email) {
        profileUpdates.set(customerId, { name: w.name ?? null, email: w.email ?? null });
      }
      for (const [key, kind, value] of [[addressKey(w), w.kind, w.value], ...(emailKey && w.kind !== 'email' ? [[emailKey, 'email', w.email!]] : [])]) {
        if (owner.has(key)) continue;
        owner.set(key, customerId);
        newIdentities.push({ customerId, kind, value });
      }
      return customerId;
    });

    if (profileUpdates.size) {
      const ids = [...profileUpdates.keys()];
      await m.query(
        `UPDATE customers c SET name = COALESCE(c.name, u.name), email = COALESCE(c.email, u.email), updated_at = now()
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, name, email)
          WHERE c.id = u.id AND ((c.name IS NULL AND u.name IS NOT NULL) OR (c.email IS NULL AND u.email IS NOT NULL))`,
        [ids, ids.map((id) => profileUpdates.get(id)!.name), ids.map((id) => profileUpdates.get(id)!.email)],
      );
    }
    if (newIdentities.length) {
      // new customers and their identities in one statement (every new customer has one)
      await preparedQuery(
        m,
        `WITH created AS (
           INSERT INTO customers (id, name, email, phone) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
         )
         INSERT INTO customer_identities (customer_id, kind, value) SELECT * FROM unnest($5::uuid[], $6::text[], $7::text[])
         ON CONFLICT (kind, value) DO NOTHING`,
        [
          newCustomers.map((c) => c.id),
          newCustomers.map((c) => c.name),
          newCustomers.map((c) => c.email),
          newCustomers.map((c) => c.phone),
          newIdentities.map((i) => i.customerId),
          newIdentities.map((i) => i.kind),
          newIdentities.map((i) => i.value),
        ],
      );
    }
    return result;
  }

  async get(id: string): Promise<Customer & { identities: { kind: IdentityKind; value: string }[] }> {
    const customer = await this.customers.findOneBy({ id });
    if (!customer) throw new DomainError(ErrorCode.NotFound, `customer ${id} not found`);
    const identities = await this.identities.find({ where: { customerId: id }, order: { createdAt: 'ASC' } });
    return { ...customer, identities: identities.map((i) => ({ kind: i.kind, value: i.value })) };
  }

  /** Customers known by this email, as an identity or on the record. */
  async findByEmail(email: string): Promise<Customer[]> {
    const value = email.trim().toLowerCase();
    return this.customers
      .createQueryBuilder('c')
      .where(`c.id IN (SELECT customer_id FROM customer_identities WHERE kind = 'email' AND value = :value)`, { value })
      .orWhere('lower(c.email) = :value', { value })
      .orderBy('c.created_at', 'ASC')
      .getMany();
  }

  async update(id: string, change: CustomerUpdate): Promise<Customer> {
    await this.get(id);
    if (change.tier !== undefined) {
      // the tier sets a waiting contact's priority: the router re-reads this customer's waiting contacts
      await this.db.transaction(async (m) => {
        await m.query(`UPDATE customers SET tier = $2, updated_at = now() WHERE id = $1`, [id, change.tier]);
        const waiting: { id: string }[] = await m.query(`SELECT id FROM contacts WHERE customer_id = $1 AND state = 'queued'`, [id]);
        await signalRouting(m, this.config.queuePrefix, waiting.map((c): RoutingSignal => ({ t: 'waiting', c: c.id })));
      });
    }
    // jsonb preferences confuse TypeORM's deep-partial typing; the DTO has already validated the shape
    await this.customers.update({ id }, change as Parameters<Repository<Customer>['update']>[1]);
    return this.customers.findOneByOrFail({ id });
  }

  /** Links another address to a customer; refuses one that already belongs to someone else. */
  async addIdentity(customerId: string, kind: IdentityKind, rawValue: string): Promise<void> {
    await this.get(customerId);
    const value = this.normaliseIdentity(kind, rawValue);
    await this.db.transaction(async (m) => {
      const existing: { customer_id: string }[] = await m.query(
        `SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2 FOR UPDATE`,
        [kind, value],
      );
      if (existing[0] && existing[0].customer_id !== customerId) {
        throw new DomainError(ErrorCode.Conflict, `${kind} ${value} already belongs to another customer`);
      }
      if (!existing[0]) await m.query(`INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, $2, $3)`, [customerId, kind, value]);
    });
  }

  /** How an address is stored, so one address typed two ways is one identity. */
  normaliseIdentity(kind: IdentityKind, raw: string): string {
    if (kind === 'email') return raw.trim().toLowerCase();
    if (kind === 'phone') {
      const e164 = toE164(raw, this.config.defaultPhoneRegion);
      if (!e164) throw new DomainError(ErrorCode.ValidationFailed, `"${raw}" is not a phone number`);
      return e164;
    }
    return raw.trim();
  }
}
