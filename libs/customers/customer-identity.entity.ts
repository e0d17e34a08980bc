import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { IdentityKind } from '@cc/shared';

/** An address we recognise a customer by; each address belongs to exactly one customer. */
@Entity('customer_identities')
export class CustomerIdentity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'customer_id', type: 'uuid' }) customerId: string;
  @Column({ type: 'text' }) kind: IdentityKind;
  @Column({ type: 'text' }) value: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
