import { setFlagsFromString } from 'node:v8';

/**
 * V8's settings for a process that carries a steady stream of contacts (README, Performance, "Major
 * collections set the tail"). Under load, a process promotes 17–28 MB a second of short-lived
 * objects to the old generation, and each major collection of the ~140 MB that stays live costs
 * the event loop enough that offers queue behind it: every slow second in the benchmark is one.
 *
 * - `--heap-growing-percent=900` lets the old generation grow further between major collections, so
 *   there are fewer of them. A collection's marking costs the same either way: it follows what is
 *   live, not what is garbage.
 * - `--no-allocation-site-pretenuring` stops V8 allocating straight into the old generation from
 *   sites whose objects once mostly survived: under load most objects outlive a scavenge or two and
 *   then die, and pretenuring sends them where only a major collection frees them.
 *
 * Set at run time, before anything else, rather than on the command line: V8 reads both at each
 * collection, every way of starting the service gets them, and a flag a later V8 drops is ignored
 * instead of stopping the process. A flag the operator gives on the command line wins. The third
 * setting, a 64 MB semi-space, V8 reads only at start: the project's .npmrc gives it to Node.
 */
export const GARBAGE_COLLECTION_FLAGS = ['--heap-growing-percent=900', '--no-allocation-site-pretenuring'];

/** The flags of GARBAGE_COLLECTION_FLAGS that the command line does not set already (either way: `--x` or `--no-x`). */
export function garbageCollectionFlagsToSet(execArgv: readonly string[]): string[] {
  const nameOf = (flag: string) => flag.replace(/^--(no-)?/, '').split('=')[0].replace(/_/g, '-');
  const given = new Set(execArgv.filter((a) => a.startsWith('--')).map(nameOf));
  return GARBAGE_COLLECTION_FLAGS.filter((flag) => !given.has(nameOf(flag)));
}

/** Applies the service's garbage-collection settings; call it first thing in a process's main. */
export function tuneGarbageCollection(): void {
  for (const flag of garbageCollectionFlagsToSet(process.execArgv)) setFlagsFromString(flag);
}
