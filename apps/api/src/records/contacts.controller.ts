import { Controller, Get, Param, ParseUUIDPipe, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ContactsQueryService, type ContactDetail } from '@cc/contacts';
import { AccessGuard, CurrentPrincipal, type Principal } from '@cc/platform';

@ApiTags('contacts')
@ApiBearerAuth()
@UseGuards(AccessGuard)
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsQueryService) {}

  /** The contact with its messages and full event log (every state change, with time, actor and reason). */
  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string, @CurrentPrincipal() who: Principal): Promise<ContactDetail> {
    return this.contacts.detail(id, who);
  }
}
