import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { DatabaseConnections } from '../libs/platform/database/database-connections';

/**
 * Closing the app waits for its pool's connections to close, not only to be told to: pg-pool's end()
 * resolves before any of them has, which left a session behind the "closed" app now and then under load.
 */
describe('database connections of a closing app', () => {
  const server = () => process.env.DATABASE_URL!;

  it('are all closed, on the server too, once allClosed resolves after the pool has ended', async () => {
    const connections = new DatabaseConnections();
    const name = `pool-${randomBytes(4).toString('hex')}`;
    const pool = new Pool({ connectionString: server(), max: 3, application_name: name, Client: connections.Client });
    const ended = new Set<Client>();
    pool.on('connect', (c) => c.once('end', () => ended.add(c)));
    const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    await Promise.all(held.map((c) => c.query('SELECT 1')));
    held.forEach((c) => c.release());

    await pool.end();
    // what the app's close alone would leave: three connections told to close, none closed yet
    expect(ended.size).toBe(0);

    // two callers waiting at once (a signal handler and a test's close, say) are both woken; a caller
    // still waiting would hold the test past its own timeout
    await Promise.all([connections.allClosed(60_000), connections.allClosed(60_000)]);
    expect(ended.size).toBe(3);
    const admin = new Client({ connectionString: server() });
    await admin.connect();
    const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [name]);
    await admin.end();
    expect(rows).toEqual([]);
  });

  it('counts a connection that never opened as closed', async () => {
    const connections = new DatabaseConnections();
    const url = new URL(server());
    url.port = '1'; // nothing listens there
    const client = new connections.Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/ECONNREFUSED/);
    // would wait out the test's own timeout if the refused connection were still counted as open
    await connections.allClosed(60_000);
  });
});
