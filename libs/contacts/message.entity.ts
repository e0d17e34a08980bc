import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AuthorType, MessageDirection } from '@cc/shared';

@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ type: 'text' }) direction: MessageDirection;
  @Column({ name: 'author_type', type: 'text' }) authorType: AuthorType;
  @Column({ name: 'author_id', type: 'uuid', nullable: true }) authorId: string | null;
  @Column({ type: 'text' }) body: string;
  /** unique per channel and sender: the idempotency key of an inbound message */
  @Column({ name: 'external_id', type: 'text', nullable: true }) externalId: string | null;
  @Column({ name: 'client_message_id', type: 'text', nullable: true }) clientMessageId: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
