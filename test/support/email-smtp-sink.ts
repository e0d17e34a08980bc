import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message the sink took (answered 250). */
export interface SinkMessage {
  raw: Buffer;
  mail: ParsedMail;
  envelope: { from: string | null; to: string[] };
}

/** One DATA the sink was handed, taken or refused. */
export interface SinkAttempt {
  envelope: { from: string | null; to: string[] };
  /** null when taken; the SMTP code it was refused with otherwise */
  refusedWith: number | null;
  messageId: string | null;
}

/**
 * The outside mail relay our replies go through, run by the test: an SMTP server on a free port
 * that keeps every message it takes (parsed with mailparser), and can be told to refuse the next
 * messages with a temporary (4xx) or permanent (5xx) reply.
 */
export class EmailSmtpSink {
  readonly received: SinkMessage[] = [];
  readonly attempts: SinkAttempt[] = [];
  private refusals: { code: number; message: string }[] = [];
  private server!: SMTPServer;

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `times` messages are refused at the end of DATA with this reply. */
  rejectNext(times: number, code: number, message: string): void {
    for (let i = 0; i < times; i++) this.refusals.push({ code, message });
  }

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            to: session.envelope.rcptTo.map((r) => r.address),
          };
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('utf8'))?.[1] ?? null;
          const refusal = this.refusals.shift();
          if (refusal) {
            this.attempts.push({ envelope, refusedWith: refusal.code, messageId });
            return done(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
          }
          this.attempts.push({ envelope, refusedWith: null, messageId });
          simpleParser(raw).then(
            (mail) => {
              this.received.push({ raw, mail, envelope });
              done();
            },
            (e: Error) => done(Object.assign(new Error(`unparseable: ${e.message}`), { responseCode: 554 })),
          );
        });
      },
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', () => ok()));
    return this;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
