import { loadConfig } from '@cc/config';
import { prepareRuntime } from '@cc/platform';

/** Applies pending migrations (and nothing else) to DATABASE_URL, or to the embedded database. */
async function main(): Promise<void> {
  const runtime = await prepareRuntime(loadConfig(undefined, { seedDemo: false }));
  await runtime.stop();
  console.log('migrations applied');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
