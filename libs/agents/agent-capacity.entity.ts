import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Channel } from '@cc/shared';

/** How many contacts of a channel an agent may hold at once, and how many they hold now. */
@Entity('agent_capacities')
export class AgentCapacity {
  @PrimaryColumn({ name: 'agent_id', type: 'uuid' }) agentId: string;
  @PrimaryColumn({ type: 'text' }) channel: Channel;
  @Column({ type: 'int' }) capacity: number;
  @Column({ type: 'int', default: 0 }) load: number;
}
