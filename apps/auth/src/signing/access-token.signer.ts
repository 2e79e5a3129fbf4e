import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SignJWT } from 'jose';
import { authConfig } from '../config/auth.config';
import type { UserEntity } from '../users/user.entity';
import { JWT_ALG } from './ed25519';
import { SigningKeysService } from './signing-keys.service';

/** Access tokens: EdDSA JWTs with sub = user id, role, name = username, iss, aud, iat, exp. */
@Injectable()
export class AccessTokenSigner {
  constructor(
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  get ttlSeconds(): number {
    return this.cfg.accessTokenTtlS;
  }

  async sign(user: Pick<UserEntity, 'id' | 'role' | 'username'>): Promise<string> {
    const key = await this.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: user.role, name: user.username })
      .setProtectedHeader({ alg: JWT_ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(this.cfg.jwtIssuer)
      .setAudience(this.cfg.jwtAudience)
      .setIssuedAt(now)
      .setExpirationTime(now + this.cfg.accessTokenTtlS)
      .sign(key.privateKey);
  }
}
