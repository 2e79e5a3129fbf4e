import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { JWK } from 'jose';
import { authConfig } from '../config/auth.config';
import { SigningKeyMaterial, generateSigningKey, keyMaterialFromPem } from './ed25519';
import { SigningKeysRepository } from './signing-keys.repository';

/**
 * The key that signs access tokens: AUTH_JWT_PRIVATE_KEY when set (required in production), else the newest
 * non-retired key in `signing_keys`, else a key generated now and stored there (development). The JWKS lists the
 * configured key and every non-retired stored key, so tokens signed before a rotation still verify.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeysService.name);
  private active: SigningKeyMaterial | undefined;
  private configured: SigningKeyMaterial | null = null;

  constructor(
    private readonly keys: SigningKeysRepository,
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.signingKey();
  }

  async signingKey(): Promise<SigningKeyMaterial> {
    this.active ??= await this.load();
    return this.active;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.signingKey();
    const stored = await this.keys.findAllActive();
    const byKid = new Map<string, JWK>();
    if (this.configured) byKid.set(this.configured.kid, this.configured.publicJwk);
    for (const key of stored) if (!byKid.has(key.kid)) byKid.set(key.kid, key.publicJwk);
    return { keys: [...byKid.values()] };
  }

  private async load(): Promise<SigningKeyMaterial> {
    if (this.cfg.jwtPrivateKeyPem) {
      this.configured = await keyMaterialFromPem(this.cfg.jwtPrivateKeyPem, this.cfg.jwtKeyId);
      return this.configured;
    }
    const row = await this.dataSource.transaction(async (em) => {
      await this.keys.lockKeyCreation(em);
      const newest = await this.keys.findNewestActive(em);
      if (newest) return newest;
      const generated = await generateSigningKey();
      await this.keys.insert(generated, em);
      this.logger.warn(`Generated JWT signing key ${generated.kid} (set AUTH_JWT_PRIVATE_KEY in production)`);
      return generated;
    });
    return keyMaterialFromPem(row.privateKeyPem, row.kid);
  }
}
