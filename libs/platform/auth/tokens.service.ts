import { createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type Role } from '@cc/shared';
import { InjectConfig } from '../config.token';

/** Who is calling: a staff member (agent, supervisor, admin) from an access token. */
export interface Principal {
  id: string;
  role: Role;
  name: string;
}

/** A website visitor, from a visitor token: they may only see their own conversation. */
export interface VisitorPrincipal {
  visitorId: string;
}

interface AccessClaims {
  typ: 'access';
  sub: string;
  role: Role;
  name: string;
}
interface VisitorClaims {
  typ: 'visitor';
  sub: string;
}

/**
 * The HMAC key tokens are signed and checked with. Given the secret as a string, jsonwebtoken first
 * tries to read it as a PEM key and throws, on every sign and every check: a sign and a check took
 * 0.7 ms together, paid by every visitor opening the chat, every socket connecting and every REST
 * call. As a key object they take 15 us (`npm run bench:tokens`), and the tokens are the same bytes.
 */
export function tokenSigningKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Signs and checks the two kinds of bearer token; the `typ` claim keeps one from passing as the other. */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  signAccess(p: Principal): string {
    const claims: AccessClaims = { typ: 'access', sub: p.id, role: p.role, name: p.name };
    return this.jwt.sign(claims, { expiresIn: this.config.accessTokenTtlSeconds });
  }

  verifyAccess(token: unknown): Principal {
    const claims = this.verify<AccessClaims>(token);
    if (claims.typ !== 'access') throw new DomainError(ErrorCode.Unauthorized, 'not an access token');
    return { id: claims.sub, role: claims.role, name: claims.name };
  }

  signVisitor(v: VisitorPrincipal): string {
    const claims: VisitorClaims = { typ: 'visitor', sub: v.visitorId };
    return this.jwt.sign(claims, { expiresIn: this.config.visitorTokenTtlSeconds });
  }

  verifyVisitor(token: unknown): VisitorPrincipal {
    const claims = this.verify<VisitorClaims>(token);
    if (claims.typ !== 'visitor') throw new DomainError(ErrorCode.Unauthorized, 'not a visitor token');
    return { visitorId: claims.sub };
  }

  private verify<T extends object>(token: unknown): T {
    if (typeof token !== 'string' || token.length === 0) throw new DomainError(ErrorCode.Unauthorized, 'token missing');
    try {
      return this.jwt.verify<T>(token);
    } catch {
      throw new DomainError(ErrorCode.Unauthorized, 'token invalid or expired');
    }
  }
}
