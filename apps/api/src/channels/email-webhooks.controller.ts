import { Body, Controller, Headers, HttpCode, Post, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiExcludeController } from '@nestjs/swagger';
import { type EmailOutcome, EmailInboundService, type UploadedFile } from '@cc/channels/email';

/** multer's limits for the multipart providers; the per-file limit is the whole message's */
const MULTIPART_LIMITS = { limits: { files: 100, fileSize: 50 * 1024 * 1024, fieldSize: 50 * 1024 * 1024 } };

/** Where email providers push inbound mail, each verified by that provider's scheme before anything is stored. */
@ApiExcludeController()
@Controller('channels/email')
export class EmailWebhooksController {
  constructor(private readonly email: EmailInboundService) {}

  @Post('postmark')
  @HttpCode(200)
  async postmark(@Body() body: unknown, @Headers('authorization') authorization?: string): Promise<{ outcome: EmailOutcome }> {
    return { outcome: await this.email.acceptPostmark(body, authorization) };
  }

  @Post('mailgun')
  @HttpCode(200)
  @UseInterceptors(AnyFilesInterceptor(MULTIPART_LIMITS))
  async mailgun(@Body() fields: Record<string, string>, @UploadedFiles() files: UploadedFile[] = []): Promise<{ outcome: EmailOutcome }> {
    return { outcome: await this.email.acceptMailgun(fields ?? {}, files) };
  }

  @Post('sendgrid')
  @HttpCode(200)
  @UseInterceptors(AnyFilesInterceptor(MULTIPART_LIMITS))
  async sendgrid(
    @Body() fields: Record<string, string>,
    @UploadedFiles() files: UploadedFile[] = [],
    @Headers('authorization') authorization?: string,
  ): Promise<{ outcome: EmailOutcome }> {
    return { outcome: await this.email.acceptSendgrid(fields ?? {}, files, authorization) };
  }
}
