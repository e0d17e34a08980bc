import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { AccessGuard, Roles } from '@cc/platform';
import { DomainError, ErrorCode } from '@cc/shared';
import { VoiceCallsService, type VoiceMenu } from '@cc/channels/voice';

export class VoiceMenuDto {
  @ApiProperty({
    description: 'greeting, prompt, options by key ({queue} | {menu} | {voicemail: {queue}}), speech, timeoutSeconds, repeat, default; see the README',
    example: { greeting: 'Thanks for calling.', prompt: 'Press 1 for support, 2 for sales.', options: { '1': { queue: 'Support' }, '2': { queue: 'Sales' } } },
  })
  // validated as a whole by the menu's own schema, which names each bad field
  @IsDefined()
  menu: unknown;
}

/** The IVR menu each of our numbers answers with (a number without one sends calls to VOICE_DEFAULT_QUEUE). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AccessGuard)
@Controller('admin/voice/numbers')
export class AdminVoiceController {
  constructor(private readonly voice: VoiceCallsService) {}

  @Get(':number/menu')
  async get(@Param('number') number: string): Promise<VoiceMenu> {
    const menu = await this.voice.menuOf(number);
    if (!menu) throw new DomainError(ErrorCode.NotFound, `no menu for ${number}`);
    return menu;
  }

  @Put(':number/menu')
  async put(@Param('number') number: string, @Body() body: VoiceMenuDto): Promise<VoiceMenu> {
    return (await this.voice.setMenu(number, body.menu))!;
  }

  @Delete(':number/menu')
  @HttpCode(204)
  async remove(@Param('number') number: string): Promise<void> {
    await this.voice.setMenu(number, null);
  }
}
