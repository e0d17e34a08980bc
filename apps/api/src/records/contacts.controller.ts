import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
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

  /**
   * A file a customer sent (email attachment), always as a download: it came from outside and is
   * never rendered in our origin.
   */
  @Get(':id/attachments/:attachmentId')
  async attachment(
    @Param('id', uuidParam()) id: string,
    @Param('attachmentId', uuidParam('attachmentId')) attachmentId: string,
    @CurrentPrincipal() who: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const file = await this.contacts.attachment(id, attachmentId, who);
    res.set({ 'Content-Type': file.contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'" });
    res.attachment(file.filename);
    res.send(file.content);
  }
}
