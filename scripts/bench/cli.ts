/** The benchmarks' command line: `--name value` pairs, and bare `--flag`s (present, with no value). */
export function benchArgs(argv = process.argv.slice(2)): Map<string, string | undefined> {
  const args = new Map<string, string | undefined>();
  argv.forEach((a, i) => {
    if (a.startsWith('--')) args.set(a.slice(2), argv[i + 1]?.startsWith('--') ? undefined : argv[i + 1]);
  });
  return args;
}
