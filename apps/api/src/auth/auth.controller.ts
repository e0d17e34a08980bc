import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { ResolvedConfig } from '@cc/config';
import { AgentsService } from '@cc/agents';
import { InjectConfig, TokensService } from '@cc/platform';
import { AccessTokenDto, LoginDto } from './login.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly agents: AgentsService,
    private readonly tokens: TokensService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** Staff sign-in: the access token authenticates REST calls (Bearer) and the /agents socket. */
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiUnauthorizedResponse({ description: 'email or password is wrong' })
  async login(@Body() body: LoginDto): Promise<AccessTokenDto> {
    const user = await this.agents.authenticate(body.email, body.password);
    return { accessToken: this.tokens.signAccess(user), role: user.role, userId: user.id, expiresIn: this.config.accessTokenTtlSeconds };
  }
}
