export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as { __embeddedDb?: { stop(): Promise<void> } }).__embeddedDb;
  if (db) await db.stop();
}
