import { Body, Controller, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { VoiceCallsService } from '@cc/channels/voice';

/**
 * Twilio Programmable Voice: the call's webhooks, each verified with X-Twilio-Signature over the
 * public URL before anything is read or stored, each answered with TwiML (or 204 for callbacks).
 */
@ApiExcludeController()
@Controller('channels/twilio/voice')
export class VoiceWebhooksController {
  constructor(private readonly voice: VoiceCallsService) {}

  @Post()
  @HttpCode(200)
  incoming(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.incoming(fields));
  }

  @Post('menu')
  @HttpCode(200)
  menu(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() fields: Record<string, string>,
    @Query('path') path = '',
    @Query('attempt') attempt = '0',
    @Headers('x-twilio-signature') sig?: string,
  ) {
    return this.twiml(req, res, fields, sig, () => this.voice.menuChoice(fields, /^[0-9*#]{0,10}$/.test(path) ? path : '', Number(attempt) || 0));
  }

  @Post('wait')
  @HttpCode(200)
  wait(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.waitTwiml(contactId));
  }

  @Post('join')
  @HttpCode(200)
  join(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.joinTwiml(contactId));
  }

  @Post('agent')
  @HttpCode(200)
  agent(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.agentAnswered(contactId, fields.CallSid ?? ''));
  }

  @Post('voicemail')
  @HttpCode(200)
  voicemail(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Query('queue') queue: string, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.voicemail(fields, queue));
  }

  /** A key pressed while waiting (the hold loop's Gather). */
  @Post('callback')
  @HttpCode(200)
  callback(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    return this.twiml(req, res, fields, sig, () => this.voice.callbackChoice(contactId, fields));
  }

  @Post('callback-status')
  @HttpCode(204)
  async callbackStatus(@Req() req: Request, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    await this.voice.callbackLegStatus(contactId, fields);
  }

  @Post('recording')
  @HttpCode(204)
  async recording(@Req() req: Request, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    await this.voice.recording(contactId, fields);
  }

  @Post('agent-status')
  @HttpCode(204)
  async agentStatus(@Req() req: Request, @Body() fields: Record<string, string>, @Query('contactId') contactId: string, @Headers('x-twilio-signature') sig?: string) {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    await this.voice.agentLegStatus(contactId, fields);
  }

  @Post('status')
  @HttpCode(204)
  async status(@Req() req: Request, @Body() fields: Record<string, string>, @Headers('x-twilio-signature') sig?: string) {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    await this.voice.callerStatus(fields);
  }

  @Post('transcription')
  @HttpCode(204)
  async transcription(@Req() req: Request, @Body() fields: Record<string, string>, @Headers('x-twilio-signature') sig?: string) {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    await this.voice.transcription(fields);
  }

  /** Verifies, answers TwiML; errors stay JSON like every other endpoint's. */
  private async twiml(req: Request, res: Response, fields: Record<string, string>, sig: string | undefined, answer: () => Promise<string>): Promise<string> {
    this.voice.verify(sig, req.originalUrl, fields ?? {});
    const xml = await answer();
    res.type('text/xml');
    return xml;
  }
}
