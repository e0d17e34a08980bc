import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { startApp, type TestApp } from './support/app';
import { eventually } from './support/clients';

/**
 * The built-in SMTP server with its optional protections on: STARTTLS (with a certificate made for
 * the test) and AUTH. A sender that does not authenticate is refused; credentials are only taken
 * over TLS; an authenticated sender's mail is stored.
 */
describe('the SMTP server with STARTTLS and AUTH', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smtp-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    t = await startApp({
      env: { SMTP_TLS_KEY_FILE: join(dir, 'key.pem'), SMTP_TLS_CERT_FILE: join(dir, 'cert.pem'), SMTP_AUTH_USER: 'relay', SMTP_AUTH_PASSWORD: 'relay-secret' },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const storedFrom = async (address: string) =>
    (await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE channel = 'email' AND address = $1`, [address])).rows[0].n as number;
  const send = (options: Parameters<typeof createTransport>[0], from: string) =>
    createTransport(options).sendMail({ from, to: 'support@example.com', subject: 'Hello', text: 'Is anyone there?', messageId: `<${randomUUID()}@customer.test>` });

  it('refuses a sender that does not authenticate, and stores nothing', async () => {
    const from = `anon-${randomUUID()}@customer.test`;
    await expect(send({ host: '127.0.0.1', port: t.smtpPort!, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } }, from)).rejects.toMatchObject({
      responseCode: 530,
    });
    expect(await storedFrom(from)).toBe(0);
  });

  it('refuses wrong credentials', async () => {
    const from = `wrong-${randomUUID()}@customer.test`;
    await expect(
      send({ host: '127.0.0.1', port: t.smtpPort!, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'relay', pass: 'guess' } }, from),
    ).rejects.toMatchObject({ responseCode: 535 });
    expect(await storedFrom(from)).toBe(0);
  });

  it('takes credentials only over TLS', async () => {
    const from = `plain-${randomUUID()}@customer.test`;
    // ignoreTLS: the client never upgrades, so the server must not accept AUTH in the clear
    await expect(send({ host: '127.0.0.1', port: t.smtpPort!, secure: false, ignoreTLS: true, auth: { user: 'relay', pass: 'relay-secret' } }, from)).rejects.toMatchObject({ responseCode: 538 }); // 538: encryption required for AUTH
    expect(await storedFrom(from)).toBe(0);
  });

  it('accepts mail from an authenticated sender over STARTTLS', async () => {
    const from = `ok-${randomUUID()}@customer.test`;
    const info = await send(
      { host: '127.0.0.1', port: t.smtpPort!, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'relay', pass: 'relay-secret' } },
      from,
    );
    expect(info.accepted).toEqual(['support@example.com']);
    await eventually(async () => (await storedFrom(from)) === 1, 15_000, 'the mail stored as a contact');
  });
});
