import { Module } from '@nestjs/common';
import { ContactsModule } from '@cc/contacts';
import { RoutingModule } from '@cc/routing';
import { WebchatService } from './webchat.service';

@Module({
  imports: [ContactsModule, RoutingModule],
  providers: [WebchatService],
  exports: [WebchatService],
})
export class WebchatModule {}
