import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';

/**
 * A processor whose worker reports connection trouble as a warning. BullMQ workers emit 'error' when
 * their connection drops and reconnect by themselves; an 'error' event nobody listens to would end the process.
 */
export abstract class ResilientWorkerHost extends WorkerHost {
  protected readonly logger = new Logger(this.constructor.name);

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logger.warn(`queue connection: ${error.message}`);
  }
}
