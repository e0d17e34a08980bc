import { Body, Controller, Headers, HttpCode, Param, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import twilio from 'twilio';
import { SmsInboundService } from '@cc/channels/sms';

/** An empty TwiML answer: the message is taken; any reply comes later through the REST API. */
const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();

/** Where SMS providers push inbound messages and delivery statuses. Each request is verified before anything is stored. */
@ApiExcludeController()
@Controller('channels')
export class SmsWebhooksController {
  constructor(private readonly sms: SmsInboundService) {}

  /** Twilio's inbound message webhook: answered with empty TwiML once the message is queued. */
  @Post('twilio/sms')
  @HttpCode(200)
  async twilioInbound(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() fields: Record<string, string>,
    @Headers('x-twilio-signature') signature?: string,
  ): Promise<string> {
    await this.sms.acceptTwilio(fields ?? {}, signature, req.originalUrl);
    // only the success is TwiML; errors are JSON like every other endpoint's
    res.type('text/xml');
    return EMPTY_TWIML;
  }

  /** Twilio's status callback for a message we sent. */
  @Post('twilio/sms/status')
  @HttpCode(204)
  async twilioStatus(@Req() req: Request, @Body() fields: Record<string, string>, @Headers('x-twilio-signature') signature?: string): Promise<void> {
    await this.sms.applyTwilioStatus(fields ?? {}, signature, req.originalUrl);
  }

  /** Any other provider: a JSON message signed with HMAC-SHA256 of the raw body (see the README). */
  @Post('sms/:provider')
  @HttpCode(202)
  async generic(@Param('provider') provider: string, @Req() req: RawBodyRequest<Request>, @Headers('x-signature') signature?: string): Promise<{ accepted: true }> {
    await this.sms.acceptGeneric(provider, req.is('application/json') ? req.rawBody : undefined, signature);
    return { accepted: true };
  }
}
