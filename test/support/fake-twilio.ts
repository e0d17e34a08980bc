import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/** A request Twilio's REST API received from us. */
export interface TwilioRestRequest {
  method: string;
  path: string;
  /** the account SID and auth token of HTTP basic auth */
  auth: { user: string; password: string } | null;
  form: Record<string, string>;
}

/**
 * A local stand-in for Twilio's REST API (the outside provider), started by the test: it answers
 * message creation the way Twilio does and records every request, and can be told to fail.
 */
export class FakeTwilioRest {
  readonly requests: TwilioRestRequest[] = [];
  private failures: { status: number; code: number; message: string }[] = [];
  private server!: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** what an app under test needs to talk to this stand-in as Twilio: the test account and this server's address */
  appEnv(): Record<string, string> {
    return { TWILIO_ACCOUNT_SID: TWILIO_TEST_ACCOUNT.sid, TWILIO_AUTH_TOKEN: TWILIO_TEST_ACCOUNT.token, TWILIO_API_BASE_URL: this.url };
  }

  /** the message-creation requests so far */
  get messages(): TwilioRestRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/Accounts\/[^/]+\/Messages\.json$/.test(r.path));
  }

  /** calls placed (an agent's leg rung) */
  get callsCreated(): TwilioRestRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && /\/Accounts\/[^/]+\/Calls\.json$/.test(r.path));
  }

  /** live calls redirected (new TwiML or URL), with the call's SID */
  get callUpdates(): (TwilioRestRequest & { callSid: string })[] {
    return this.requests
      .map((r) => ({ ...r, callSid: /\/Calls\/([^/]+)\.json$/.exec(r.path)?.[1] ?? '' }))
      .filter((r) => r.method === 'POST' && r.callSid);
  }

  /** The next `times` message creations fail with this HTTP status and Twilio error code. */
  failNext(times: number, status: number, code: number, message = 'simulated failure'): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, code, message });
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const form = Object.fromEntries(new URLSearchParams(await body(req)));
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, password] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      this.requests.push({ method: req.method ?? '', path, auth: basic ? { user, password } : null, form });
      const failure = this.failures.shift();
      res.setHeader('Content-Type', 'application/json');
      if (failure) {
        res.statusCode = failure.status;
        res.end(JSON.stringify({ code: failure.code, message: failure.message, more_info: `https://www.twilio.com/docs/errors/${failure.code}`, status: failure.status }));
        return;
      }
      const update = /\/Calls\/([^/]+)\.json$/.exec(path);
      if (update) {
        res.statusCode = 200;
        res.end(JSON.stringify({ sid: update[1], status: 'in-progress', account_sid: user }));
        return;
      }
      const call = /\/Calls\.json$/.test(path);
      const sid = `${call ? 'CA' : 'SM'}${randomBytes(16).toString('hex')}`;
      res.statusCode = 201;
      res.end(JSON.stringify({ sid, status: 'queued', to: form.To, from: form.From, body: form.Body, account_sid: user, date_created: new Date().toUTCString() }));
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return this;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/** X-Twilio-Signature as Twilio computes it: over the full URL it called and the POSTed fields. */
export const twilioSignature = (authToken: string, url: string, fields: Record<string, string>): string =>
  twilio.getExpectedTwilioSignature(authToken, url, fields);

/** A message SID in Twilio's format. */
export const twilioSid = (prefix = 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;

/** Test Twilio credentials (an account SID in Twilio's format). */
export const TWILIO_TEST_ACCOUNT = { sid: `AC${'0123456789abcdef'.repeat(2)}`, token: 'test-auth-token-0123456789' };
