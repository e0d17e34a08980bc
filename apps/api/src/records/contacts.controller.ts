import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ContactsQueryService, type ContactDetail } from '@cc/contacts';
import { AccessGuard, CurrentPrincipal, type Principal, uuidParam } from '@cc/platform';

@ApiTags('contacts')
@ApiBearerAuth()
@UseGuards(AccessGuard)
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsQueryService) {}

  /** The contact with its messages and full event log (every state change, with time, actor and reason). */
  @Get(':id')
  get(@Param('id', uuidParam()) id: string, @CurrentPrincipal() who: Principal): Promise<ContactDetail> {
    return this.contacts.detail(id, who);
  }

  /** "Why did agent X get this?": each routing decision with the candidates weighed and why the winner won. */
  @Get(':id/routing')
  routing(@Param('id', uuidParam()) id: string, @CurrentPrincipal() who: Principal) {
    return this.contacts.routingLog(id, who);
  }
}
