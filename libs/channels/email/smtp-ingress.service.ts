import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { ResolvedConfig } from '@cc/config';
import { DomainError } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { EmailInboundService } from './email-inbound.service';
import { EmailPayloadError, parseRawEmail } from './parsing';

/** An SMTP reply: the code the client sees, with our reason. */
const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

/**
 * The built-in SMTP server for inbound mail (runs with the API). Recipients that are not support
 * mailboxes are refused at RCPT time; a message over the size limit is refused; a message is
 * answered 250 only once it is queued durably, so a mail server never hears "accepted" for mail we
 * could lose. Anything that fails after that point is a 451: the sender retries later.
 */
@Injectable()
export class SmtpIngressService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SmtpIngressService.name);
  private server: SMTPServer | null = null;

  constructor(
    private readonly inbound: EmailInboundService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** The port it listens on (useful when configured as 0), or null when it does not run. */
  get port(): number | null {
    const address = this.server?.server.address() as AddressInfo | null | undefined;
    return address?.port ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const smtp = this.config.smtp;
    if (!smtp.enabled) return;
    const options: SMTPServerOptions = {
      size: smtp.maxMessageBytes,
      logger: false,
      banner: 'contact center inbound mail',
      // without TLS there is nothing to upgrade to; without credentials nothing to check
      disabledCommands: [...(smtp.tls ? [] : ['STARTTLS']), ...(smtp.auth ? [] : ['AUTH'])],
      authOptional: !smtp.auth,
      // credentials in the clear only when no TLS is configured to protect them
      allowInsecureAuth: !smtp.tls,
      ...(smtp.tls ? { key: readFileSync(smtp.tls.keyFile), cert: readFileSync(smtp.tls.certFile) } : {}),
      onAuth: (auth, _session, done) => {
        if (smtp.auth && auth.username === smtp.auth.user && auth.password === smtp.auth.password) return done(null, { user: auth.username });
        done(smtpError(535, '5.7.8 authentication failed'));
      },
      onRcptTo: (address, _session, done) => {
        if (this.inbound.mailboxes.match(address.address)) return done();
        done(smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`));
      },
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e) => done(smtpError(451, `4.3.0 ${e.message}`)));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            return done(smtpError(552, `5.3.4 message exceeds the ${smtp.maxMessageBytes}-byte limit`));
          }
          this.receive(Buffer.concat(chunks), session.envelope.rcptTo.map((r) => r.address), session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined).then(
            () => done(),
            (e: unknown) => {
              // a message we can never take (no usable sender, no mailbox of ours) is refused for good, not deferred
              if (e instanceof DomainError || e instanceof EmailPayloadError) return done(smtpError(554, `5.6.0 ${e.message}`));
              this.logger.error(`inbound mail not queued: ${(e as Error).message}`);
              done(smtpError(451, '4.3.0 temporarily unable to accept the message, try again later'));
            },
          );
        });
      },
    };
    this.server = new SMTPServer(options);
    this.server.on('error', (e) => this.logger.warn(`SMTP: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      this.server!.server.once('error', reject);
      this.server!.listen(smtp.port, this.config.host, () => resolve());
    });
    this.logger.log(`SMTP server listening on port ${this.port}${smtp.tls ? ' (STARTTLS)' : ''}${smtp.auth ? ' (AUTH required)' : ''}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async receive(raw: Buffer, envelopeTo: string[], envelopeFrom: string | undefined): Promise<void> {
    const mail = await parseRawEmail(raw, { ...this.inbound.limits, envelopeTo, envelopeFrom });
    await this.inbound.accept(mail);
  }
}
