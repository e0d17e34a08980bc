/**
 * npm run bench:tokens [-- --n 5000 --runs 5]
 *
 * What signing and checking a bearer token costs: a visitor token signed and then checked through
 * TokensService, n times per run, with the secret as the key object the system uses and, for
 * comparison, as a plain string. Prints one JSON line with the median microseconds per sign+check.
 */
import { JwtService } from '@nestjs/jwt';
import type { ResolvedConfig } from '@cc/config';
import { tokenSigningKey, TokensService } from '@cc/platform';
import { benchArgs, median } from './cli';

const args = benchArgs();
const N = Number(args.get('n') ?? 5000);
const RUNS = Number(args.get('runs') ?? 5);
const SECRET = 'bench-secret-bench-secret-bench-secret';
const config = { accessTokenTtlSeconds: 3600, visitorTokenTtlSeconds: 3600 } as ResolvedConfig;

function medianMicrosPerOp(tokens: TokensService): number {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) tokens.verifyVisitor(tokens.signVisitor({ visitorId: `v-${i}` }));
    runs.push(Number(process.hrtime.bigint() - started) / 1000 / N);
  }
  return median(runs);
}

const keyObject = medianMicrosPerOp(new TokensService(new JwtService({ secret: tokenSigningKey(SECRET) }), config));
const plainString = medianMicrosPerOp(new TokensService(new JwtService({ secret: SECRET }), config));
process.stdout.write(JSON.stringify({ signAndCheckMicros: { keyObject, plainString }, n: N, runs: RUNS }) + '\n');
