import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, ErrorCode, type Role } from '@cc/shared';
import { type Principal, TokensService } from './tokens.service';

const ROLES_KEY = 'roles';
/** Restricts a controller or route to these roles; without it any signed-in staff member may call. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

type AuthedRequest = Request & { principal?: Principal };

/** Requires a staff access token (Authorization: Bearer) and, where declared, one of the roles. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly tokens: TokensService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization ?? '';
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer') throw new DomainError(ErrorCode.Unauthorized, 'bearer token required');
    const principal = this.tokens.verifyAccess(token);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (roles && !roles.includes(principal.role)) {
      throw new DomainError(ErrorCode.Forbidden, `requires role ${roles.join(' or ')}`);
    }
    req.principal = principal;
    return true;
  }
}

/** The authenticated staff member of the request (set by AccessGuard). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new DomainError(ErrorCode.Unauthorized, 'not signed in');
  return principal;
});
