import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule } from '@cc/agents';
import { CustomersModule } from '@cc/customers';
import { ContactsModule } from '@cc/contacts';
import { RoutingModule } from '@cc/routing';
import { WebchatModule } from '@cc/channels/webchat';
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

/** HTTP and socket.io: validates, persists what must not be lost, enqueues, answers. */
@Module({
  imports: [TerminusModule, AgentsModule, CustomersModule, ContactsModule, RoutingModule, WebchatModule],
  controllers: [
    AuthController,
    AdminAgentsController,
    AdminQueuesController,
    CustomersController,
    ContactsController,
    WebchatController,
    WidgetController,
    HealthController,
  ],
  providers: [AgentsGateway, WebchatGateway],
})
export class ApiModule {}
