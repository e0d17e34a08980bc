import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type IdentityKind, type RoutingSignal } from '@cc/shared';
import { InjectConfig, signalRouting } from '@cc/platform';
import { Customer } from './customer.entity';
import { toE164 } from './phone-number';
import { CustomerIdentity } from './customer-identity.entity';
import type { CustomerWrites } from './customer-resolution';

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

  /** Fills in a known customer's missing name or email from what an inbound batch told us (CustomerResolution.decide). */
  async learnProfiles(m: EntityManager, updates: CustomerWrites['profileUpdates']): Promise<void> {
    if (!updates.size) return;
    const ids = [...updates.keys()];
    await m.query(
      `UPDATE customers c SET name = COALESCE(c.name, u.name), email = COALESCE(c.email, u.email), updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, name, email)
        WHERE c.id = u.id AND ((c.name IS NULL AND u.name IS NOT NULL) OR (c.email IS NULL AND u.email IS NOT NULL))`,
      [ids, ids.map((id) => updates.get(id)!.name), ids.map((id) => updates.get(id)!.email)],
    );
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
