import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { WebchatService } from '@cc/channels/webchat';
import { SessionDto, StartSessionDto } from './webchat.dto';

@ApiTags('webchat')
@Controller('webchat')
export class WebchatController {
  constructor(private readonly webchat: WebchatService) {}

  /** Gives a website visitor their signed token for the /webchat socket (or renews the one they have). */
  @Post('sessions')
  @HttpCode(200)
  @ApiOkResponse({ type: SessionDto })
  start(@Body() body: StartSessionDto): SessionDto {
    return this.webchat.startSession(body.visitorToken);
  }
}
