import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Channel } from '@cc/shared';

/** Where contacts wait for an agent. */
@Entity('queues')
export class QueueEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', array: true }) channels: Channel[];
  /** skill name → minimum level */
  @Column({ name: 'required_skills', type: 'jsonb', default: {} }) requiredSkills: Record<string, number>;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
