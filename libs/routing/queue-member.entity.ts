import { Entity, PrimaryColumn } from 'typeorm';

/** An agent serving a queue. */
@Entity('queue_members')
export class QueueMember {
  @PrimaryColumn({ name: 'queue_id', type: 'uuid' }) queueId: string;
  @PrimaryColumn({ name: 'agent_id', type: 'uuid' }) agentId: string;
}
