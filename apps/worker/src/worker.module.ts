import { Module, OnModuleInit } from '@nestjs/common';
import { AgentsModule } from '@cc/agents';
import { ContactsModule } from '@cc/contacts';
import { SmsModule } from '@cc/channels/sms';
import { OutboundModule } from '@cc/channels/outbound';
import { VoiceModule } from '@cc/channels/voice';
import { RoutingEngineModule, RoutingModule } from '@cc/routing';
import { JOB_QUEUE, type JobName } from '@cc/shared';
import { InboundProcessor } from './inbound.processor';
import { TimersProcessor } from './timers.processor';
import { OutboundProcessor } from './outbound.processor';

/**
 * The BullMQ processors and the routing engine (one worker process leads it, the others stand by).
 * No HTTP: sockets are reached through the cluster adapter.
 */
@Module({
  imports: [AgentsModule, ContactsModule, RoutingModule, RoutingEngineModule, SmsModule, OutboundModule, VoiceModule],
  providers: [InboundProcessor, TimersProcessor, OutboundProcessor],
})
export class WorkerModule implements OnModuleInit {
  constructor(
    private readonly inbound: InboundProcessor,
    private readonly timers: TimersProcessor,
    private readonly outbound: OutboundProcessor,
  ) {}

  /** Every job name has exactly one handler, on the processor of the job's queue. */
  onModuleInit(): void {
    const handled = new Map<string, string[]>();
    for (const p of [this.inbound, this.timers, this.outbound]) {
      const queue = (p.constructor as { name: string }).name;
      for (const name of Object.keys(p.handlers)) handled.set(name, [...(handled.get(name) ?? []), queue]);
    }
    const problems = (Object.keys(JOB_QUEUE) as JobName[])
      .filter((name) => handled.get(name)?.length !== 1)
      .map((name) => `${name}: handled by ${handled.get(name)?.join(', ') || 'nothing'}`);
    if (problems.length) throw new Error(`job handlers misconfigured: ${problems.join('; ')}`);
  }
}
