import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';

/** Creates the first admin (AUTH_ADMIN_USERNAME / AUTH_ADMIN_PASSWORD) when no admin exists. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  private done: Promise<void> | undefined;

  onApplicationBootstrap(): Promise<void> {
    return this.ensureAdmin();
  }

  /** Resolves once the bootstrap has run (it runs once, whoever asks first). */
  ensureAdmin(): Promise<void> {
    this.done ??= this.bootstrap();
    return this.done;
  }

  private async bootstrap(): Promise<void> {
    if (await this.users.hasAdmin()) return;
    const hash = await this.hasher.hash(this.cfg.adminPassword);
    if (await this.users.createAdminIfNone(this.cfg.adminUsername, hash)) {
      this.logger.log(`Created the first admin user '${this.cfg.adminUsername}'`);
    } else if (!(await this.users.hasAdmin())) {
      this.logger.warn(
        `No admin exists and '${this.cfg.adminUsername}' is taken by a regular user: set AUTH_ADMIN_USERNAME to a free name`,
      );
    }
  }
}
