import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { type CustomerSummary, DomainError, ErrorCode, type IdentityKind } from '@cc/shared';
import { Customer } from './customer.entity';
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

export const toCustomerSummary = (c: Customer): CustomerSummary => ({
  id: c.id,
  name: c.name,
  email: c.email,
  phone: c.phone,
  tier: c.tier,
  preferences: c.preferences,
  notes: c.notes,
});

/** The unified customer record: recognising a customer by any of their addresses, and what we know of them. */
@Injectable()
export class CustomersService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    @InjectRepository(CustomerIdentity) private readonly identities: Repository<CustomerIdentity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /**
   * Finds the customer behind an inbound address, or creates one; links a given email to them.
   * Runs inside the caller's transaction. An email already known wins over a new address, so a
   * visitor on a new browser who gives their email joins their existing record.
   */
  async resolve(m: EntityManager, who: InboundIdentity): Promise<string> {
    const email = who.email?.trim().toLowerCase() || undefined;
    // serialise first contacts from one address (and one email), so two workers never create two customers
    const keys = [`${who.kind}:${who.value}`, ...(email && who.kind !== 'email' ? [`email:${email}`] : [])];
    for (const key of keys) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);

    const found: { kind: string; value: string; customer_id: string }[] = await m.query(
      `SELECT kind, value, customer_id FROM customer_identities
        WHERE (kind = $1 AND value = $2) OR (kind = 'email' AND value = $3)`,
      [who.kind, who.value, email ?? null],
    );
    const byEmail = found.find((r) => r.kind === 'email' && r.value === email);
    const byAddress = found.find((r) => r.kind === who.kind && r.value === who.value);
    let customerId = byEmail?.customer_id ?? byAddress?.customer_id;
    const name = who.name?.trim() || null;
    const phone = who.kind === 'phone' ? who.value : null;

    if (!customerId) {
      const rows: { id: string }[] = await m.query(
        `INSERT INTO customers (name, email, phone) VALUES ($1, $2, $3) RETURNING id`,
        [name, email ?? (who.kind === 'email' ? who.value : null), phone],
      );
      customerId = rows[0].id;
    } else if (name || email) {
      await m.query(
        `UPDATE customers SET name = COALESCE(name, $2), email = COALESCE(email, $3), updated_at = now()
          WHERE id = $1 AND (name IS NULL OR email IS NULL)`,
        [customerId, name, email ?? null],
      );
    }
    const missing: [IdentityKind, string][] = [];
    if (!byAddress) missing.push([who.kind, who.value]);
    if (email && !byEmail && who.kind !== 'email') missing.push(['email', email]);
    for (const [kind, value] of missing) {
      await m.query(
        `INSERT INTO customer_identities (customer_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT (kind, value) DO NOTHING`,
        [customerId, kind, value],
      );
    }
    return customerId;
  }

  async get(id: string): Promise<Customer & { identities: { kind: IdentityKind; value: string }[] }> {
    const customer = await this.customers.findOneBy({ id });
    if (!customer) throw new DomainError(ErrorCode.NotFound, `customer ${id} not found`);
    const identities = await this.identities.find({ where: { customerId: id }, order: { createdAt: 'ASC' } });
    return { ...customer, identities: identities.map((i) => ({ kind: i.kind, value: i.value })) };
  }

  async summary(id: string): Promise<CustomerSummary> {
    const customer = await this.customers.findOneBy({ id });
    if (!customer) throw new DomainError(ErrorCode.NotFound, `customer ${id} not found`);
    return toCustomerSummary(customer);
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
    // jsonb preferences confuse TypeORM's deep-partial typing; the DTO has already validated the shape
    await this.customers.update({ id }, change as Parameters<Repository<Customer>['update']>[1]);
    return this.customers.findOneByOrFail({ id });
  }

  /** Links another address to a customer; refuses one that already belongs to someone else. */
  async addIdentity(customerId: string, kind: IdentityKind, rawValue: string): Promise<void> {
    await this.get(customerId);
    const value = kind === 'email' ? rawValue.trim().toLowerCase() : rawValue.trim();
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
}
