import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '@cc/shared';

/** The routing side of an agent user: presence, skills and when they last got work. */
@Entity('agents')
export class Agent {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column({ type: 'text', default: 'offline' }) presence: Presence;
  @Column({ name: 'away_reason', type: 'text', nullable: true }) awayReason: string | null;
  @Column({ name: 'presence_since', type: 'timestamptz' }) presenceSince: Date;
  @Column({ name: 'idle_since', type: 'timestamptz' }) idleSince: Date;
  /** skill name → level 1..5 */
  @Column({ type: 'jsonb', default: {} }) skills: Record<string, number>;
  @Column({ name: 'missed_offers', type: 'int', default: 0 }) missedOffers: number;
}
