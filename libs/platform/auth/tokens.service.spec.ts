import { JwtService } from '@nestjs/jwt';
import type { ResolvedConfig } from '@cc/config';
import { tokenSigningKey, TokensService } from './tokens.service';

describe('TokensService with the signing key object', () => {
  const secret = 'test-secret-test-secret-test-secret';
  const config = { accessTokenTtlSeconds: 3600, visitorTokenTtlSeconds: 3600 } as ResolvedConfig;
  const tokens = new TokensService(new JwtService({ secret: tokenSigningKey(secret) }), config);

  it('checks the tokens it signs, each as its own kind only', () => {
    const visitor = tokens.signVisitor({ visitorId: 'v-1' });
    const access = tokens.signAccess({ id: 'u-1', role: 'agent', name: 'Ann' });
    expect(tokens.verifyVisitor(visitor)).toEqual({ visitorId: 'v-1' });
    expect(tokens.verifyAccess(access)).toEqual({ id: 'u-1', role: 'agent', name: 'Ann' });
    expect(() => tokens.verifyAccess(visitor)).toThrow('not an access token');
  });

  it('accepts tokens signed with the secret as a plain string, as they were before', () => {
    const earlier = new JwtService({ secret }).sign({ typ: 'visitor', sub: 'v-2' }, { expiresIn: 60 });
    expect(tokens.verifyVisitor(earlier)).toEqual({ visitorId: 'v-2' });
  });

  it('refuses a token signed with another secret', () => {
    const forged = new JwtService({ secret: tokenSigningKey(`${secret}-other`) }).sign({ typ: 'visitor', sub: 'v-3' });
    expect(() => tokens.verifyVisitor(forged)).toThrow('token invalid or expired');
  });
});
