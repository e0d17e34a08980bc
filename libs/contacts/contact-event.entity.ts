import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType, ContactState } from '@cc/shared';

/** One row per state change of a contact (append-only): what happened, who did it and why. */
@Entity('contact_events')
export class ContactEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ type: 'text' }) type: string;
  @Column({ name: 'from_state', type: 'text', nullable: true }) fromState: ContactState | null;
  @Column({ name: 'to_state', type: 'text', nullable: true }) toState: ContactState | null;
  @Column({ name: 'actor_type', type: 'text' }) actorType: ActorType;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId: string | null;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'jsonb', default: {} }) data: Record<string, unknown>;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
