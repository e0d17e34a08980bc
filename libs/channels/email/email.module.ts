import { Module } from '@nestjs/common';
import { RoutingModule } from '@cc/routing';
import { EmailInboundService } from './email-inbound.service';
import { SmtpEmailSender } from './smtp-email.sender';

/**
 * The email channel: inbound mail (our SMTP server, Postmark, Mailgun, SendGrid) and replies by SMTP.
 * The SMTP server itself (SmtpIngressService) is run by the API app.
 */
@Module({
  imports: [RoutingModule],
  providers: [EmailInboundService, SmtpEmailSender],
  exports: [EmailInboundService, SmtpEmailSender],
})
export class EmailModule {}
