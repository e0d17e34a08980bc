import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OfferStatus = 'pending' | 'accepted' | 'rejected' | 'expired' | 'revoked';

/** A reservation of a contact for one agent, until they accept, reject, or it times out. */
@Entity('contact_offers')
export class ContactOffer {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'contact_id', type: 'uuid' }) contactId: string;
  @Column({ name: 'agent_id', type: 'uuid' }) agentId: string;
  @Column({ type: 'text' }) status: OfferStatus;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt: Date | null;
}
