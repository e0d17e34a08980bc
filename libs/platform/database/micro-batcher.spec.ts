import { MicroBatcher } from './micro-batcher';

/** A batch runner whose batches the test finishes by hand, recording what each held. */
function manualRunner() {
  const batches: { inputs: number[]; finish: (fail?: boolean) => void }[] = [];
  const run = (inputs: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ inputs, finish: (fail) => (fail ? reject(new Error('batch failed')) : resolve(inputs.map((i) => `done ${i}`))) });
    });
  return { batches, run };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('MicroBatcher', () => {
  it('runs a lone item at once, and gathers what arrives meanwhile into the next batch', async () => {
    const { batches, run } = manualRunner();
    const batcher = new MicroBatcher(run, 10, 1);
    const first = batcher.submit(1);
    expect(batches.map((b) => b.inputs)).toEqual([[1]]);

    const later = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    expect(batches).toHaveLength(1);
    batches[0].finish();
    expect(await first).toBe('done 1');
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2, 3, 4]]);
    batches[1].finish();
    expect(await Promise.all(later)).toEqual(['done 2', 'done 3', 'done 4']);
  });

  it('keeps each batch within its size, and as many batches in flight as allowed', async () => {
    const { batches, run } = manualRunner();
    const batcher = new MicroBatcher(run, 2, 2);
    const all = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2]]);
    batches[0].finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2], [3, 4]]);
    batches[1].finish();
    await settle();
    batches[2].finish();
    await settle();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2], [3, 4], [5]]);
    batches[3].finish();
    expect(await Promise.all(all)).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
  });

  it('runs a failed batch again one item at a time, so only the item that fails alone fails', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, string>(
      async (inputs) => {
        runs.push(inputs);
        if (inputs.includes(3)) throw new Error(`cannot take 3`);
        return inputs.map((i) => `done ${i}`);
      },
      10,
      1,
    );
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((i) => batcher.submit(i).catch((e: Error) => e.message));
    expect(await first).toBe('done 1');
    expect(await Promise.all(rest)).toEqual(['done 2', 'cannot take 3', 'done 4']);
    expect(runs).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
