import { hashPassword, verifyPassword } from './passwords';

describe('password hashing', () => {
  it('verifies the password it hashed', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
  });

  it('refuses a wrong password, including near misses', async () => {
    const stored = await hashPassword('agent-demo');
    for (const wrong of ['agent-dem0', 'Agent-demo', 'agent-demo ', '', 'agent-demoagent-demo']) {
      await expect(verifyPassword(wrong, stored)).resolves.toBe(false);
    }
  });

  it('salts every hash: the same password hashes differently each time, and each verifies', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    expect(a.split('$')[1]).not.toBe(b.split('$')[1]);
    await expect(verifyPassword('same password', a)).resolves.toBe(true);
    await expect(verifyPassword('same password', b)).resolves.toBe(true);
  });

  it('handles passwords with any characters', async () => {
    const password = 'pässwörd with spaces, 日本語 and $ signs $$';
    await expect(verifyPassword(password, await hashPassword(password))).resolves.toBe(true);
  });

  it('answers false, without throwing, for a stored hash it cannot read', async () => {
    const good = await hashPassword('secret-password');
    const [, salt, hash] = good.split('$');
    const malformed = [
      '',
      'garbage',
      'plain-text-password',
      `bcrypt$${salt}$${hash}`,
      `scrypt$${salt}`,
      `scrypt$$${hash}`,
      `scrypt$${salt}$`,
      '$$',
    ];
    // control: the well-formed original verifies
    expect(await verifyPassword('secret-password', `scrypt$${salt}$${hash}`)).toBe(true);
    for (const stored of malformed) {
      await expect(verifyPassword('secret-password', stored).catch((e: Error) => `threw ${e.message}`)).resolves.toBe(false);
      await expect(verifyPassword('anything else', stored).catch((e: Error) => `threw ${e.message}`)).resolves.toBe(false);
    }
  });

  it('never accepts every password for a stored hash whose parts decode to no bytes', async () => {
    const salt = (await hashPassword('x')).split('$')[1];
    // '=', '!!!!' and ' ' are not empty strings, but base64-decode to zero bytes: an empty expected hash
    // compared with an empty computed one must not count as a match
    for (const stored of [`scrypt$${salt}$=`, `scrypt$${salt}$!!!!`, `scrypt$${salt}$ `, 'scrypt$=$=']) {
      const results = await Promise.all(['secret-password', 'anything else', ''].map((p) => verifyPassword(p, stored).catch(() => false)));
      expect([stored, results]).toEqual([stored, [false, false, false]]);
    }
  });

  it('refuses a stored hash shorter than the one hashPassword writes (a 1-byte hash would let 1 password in 256 through)', async () => {
    const good = await hashPassword('secret-password');
    const [, salt, hash] = good.split('$');
    expect(Buffer.from(hash, 'base64')).toHaveLength(32);
    const truncated = `scrypt$${salt}$${Buffer.from(hash, 'base64').subarray(0, 6).toString('base64')}`;
    await expect(verifyPassword('secret-password', truncated).catch(() => false)).resolves.toBe(false);
  });
});
