import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Channel, ContactState } from '@cc/shared';

/** One conversation of one customer on one channel, from arrival to close. */
@Entity('contacts')
export class Contact {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'customer_id', type: 'uuid' }) customerId: string;
  @Column({ type: 'text' }) channel: Channel;
  /** the customer's address this contact came through: visitor id, phone number, mailbox */
  @Column({ type: 'text' }) address: string;
  @Column({ name: 'queue_id', type: 'uuid' }) queueId: string;
  @Column({ type: 'text' }) state: ContactState;
  /** the agent offered or holding the contact */
  @Column({ name: 'agent_id', type: 'uuid', nullable: true }) agentId: string | null;
  @Column({ type: 'text', nullable: true }) disposition: string | null;
  @Column({ name: 'wrap_up_note', type: 'text', nullable: true }) wrapUpNote: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'queued_at', type: 'timestamptz' }) queuedAt: Date;
  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true }) answeredAt: Date | null;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
