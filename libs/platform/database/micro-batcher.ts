/**
 * Gathers work that arrives close together and runs it as one batch: whatever queued up while the
 * previous batch ran goes into the next one, so batches grow with load and stay at one under light
 * load (no added wait). If a batch fails, its items are run one by one, so one bad item fails alone.
 */
export class MicroBatcher<In, Out> {
  private waiting: { input: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
    private readonly maxConcurrent = 2,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.maxConcurrent && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.running++;
      void this.execute(batch).finally(() => {
        this.running--;
        this.kick();
      });
    }
  }

  private async execute(batch: MicroBatcher<In, Out>['waiting']): Promise<void> {
    try {
      const outs = await this.run(batch.map((b) => b.input));
      batch.forEach((b, i) => b.resolve(outs[i]));
    } catch (batchError) {
      if (batch.length === 1) return batch[0].reject(batchError);
      for (const b of batch) {
        await this.run([b.input]).then(([out]) => b.resolve(out), b.reject);
      }
    }
  }
}
