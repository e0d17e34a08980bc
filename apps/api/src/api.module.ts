import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule } from '@cc/agents';
import { CustomersModule } from '@cc/customers';
import { ContactsModule } from '@cc/contacts';
import { RoutingModule } from '@cc/routing';
import { WebchatModule } from '@cc/channels/webchat';
import { SmsModule } from '@cc/channels/sms';
import { EmailModule, SmtpIngressService } from '@cc/channels/email';
import { SupervisionModule } from '@cc/supervision';
import { VoiceModule } from '@cc/channels/voice';
import { AuthController } from './auth/auth.controller';
import { AdminAgentsController } from './admin/admin-agents.controller';
import { AdminQueuesController } from './admin/admin-queues.controller';
import { CustomersController } from './records/customers.controller';
import { ContactsController } from './records/contacts.controller';
import { HealthController } from './health/health.controller';
import { WebchatController } from './webchat/webchat.controller';
import { WidgetController } from './webchat/widget.controller';
import { WebchatGateway } from './webchat/webchat.gateway';
import { AgentsGateway } from './agent-desk/agents.gateway';
import { SmsWebhooksController } from './channels/sms-webhooks.controller';
import { EmailWebhooksController } from './channels/email-webhooks.controller';
import { VoiceWebhooksController } from './channels/voice-webhooks.controller';
import { AdminCalendarsController } from './admin/admin-calendars.controller';
import { AdminVoiceController } from './admin/admin-voice.controller';
import { SupervisionController } from './supervision/supervision.controller';
import { SupervisorsGateway } from './supervision/supervisors.gateway';

/** HTTP, socket.io and inbound SMTP: validates, persists what must not be lost, enqueues, answers. */
@Module({
  imports: [TerminusModule, AgentsModule, CustomersModule, ContactsModule, RoutingModule, WebchatModule, SmsModule, EmailModule, VoiceModule, SupervisionModule],
  controllers: [
    AuthController,
    AdminAgentsController,
    AdminQueuesController,
    CustomersController,
    ContactsController,
    WebchatController,
    WidgetController,
    HealthController,
    SmsWebhooksController,
    EmailWebhooksController,
    VoiceWebhooksController,
    AdminCalendarsController,
    AdminVoiceController,
    SupervisionController,
  ],
  providers: [AgentsGateway, WebchatGateway, SupervisorsGateway, SmtpIngressService],
})
export class ApiModule {}
