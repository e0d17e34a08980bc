/** The middle of several runs' figures, to one decimal: what the micro-benchmarks print. */
export function median(runs: number[]): number {
  const sorted = [...runs].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
}

/** The benchmarks' command line: `--name value` pairs, and bare `--flag`s (present, with no value). */
export function benchArgs(argv = process.argv.slice(2)): Map<string, string | undefined> {
  const args = new Map<string, string | undefined>();
  argv.forEach((a, i) => {
    if (a.startsWith('--')) args.set(a.slice(2), argv[i + 1]?.startsWith('--') ? undefined : argv[i + 1]);
  });
  return args;
}
