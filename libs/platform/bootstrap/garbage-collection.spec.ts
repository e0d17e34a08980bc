import { GARBAGE_COLLECTION_FLAGS, garbageCollectionFlagsToSet } from './garbage-collection';

describe('garbageCollectionFlagsToSet', () => {
  it('sets every flag when the command line sets none of them', () => {
    expect(garbageCollectionFlagsToSet(['--enable-source-maps', '--max-old-space-size=4096'])).toEqual(GARBAGE_COLLECTION_FLAGS);
  });

  it("leaves a flag the operator set on the command line to the operator's value", () => {
    expect(garbageCollectionFlagsToSet(['--heap-growing-percent=200'])).toEqual(['--no-allocation-site-pretenuring']);
    expect(garbageCollectionFlagsToSet(['--heap_growing_percent=200'])).toEqual(['--no-allocation-site-pretenuring']);
  });

  it('takes --x and --no-x as the same setting', () => {
    expect(garbageCollectionFlagsToSet(['--allocation-site-pretenuring'])).toEqual(['--heap-growing-percent=900']);
    expect(garbageCollectionFlagsToSet(['--allocation-site-pretenuring', '--heap-growing-percent=100'])).toEqual([]);
  });
});
