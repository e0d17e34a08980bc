import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder of static files shipped with the API, found from source and from the build alike. */
function publicDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package root not found');
    dir = parent;
  }
  return join(dir, 'apps', 'api', 'public');
}
const PUBLIC = publicDir();

/** The embeddable web-chat widget and a demo page that embeds it. */
@ApiExcludeController()
@Controller()
export class WidgetController {
  @Get()
  demo(@Res() res: Response): void {
    res.sendFile(join(PUBLIC, 'index.html'));
  }

  /** One <script src=".../widget.js"> tag on any website adds the chat. */
  @Get('widget.js')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('Access-Control-Allow-Origin', '*')
  widget(@Res() res: Response): void {
    res.type('application/javascript').sendFile(join(PUBLIC, 'widget.js'));
  }
}
