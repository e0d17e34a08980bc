import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';

/**
 * A processor whose worker reports connection trouble as a warning. BullMQ workers emit 'error' when
 * their connection drops and reconnect by themselves; an 'error' event nobody listens to would end the process.
 */
export abstract class ResilientWorkerHost extends WorkerHost {
  protected readonly logger = new Logger(this.constructor.name);

  /**
   * Sets the worker's concurrency and connects it now, for the reason JobsService connects its
   * queues at startup: a worker's first command made during a database outage (PostgreSQL queues)
   * leaves it failing at once, in a loop, until the process restarts.
   */
  protected async startWorker(concurrency: number): Promise<void> {
    this.worker.concurrency = concurrency;
    await this.worker.waitUntilReady();
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.logger.warn(`queue connection: ${error.message}`);
  }
}
