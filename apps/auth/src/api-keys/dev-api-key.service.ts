import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { chmod, mkdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { authConfig } from '../config/auth.config';
import { sha256Hex } from '../common/secrets';
import { AdminBootstrap } from '../users/admin-bootstrap.service';
import type { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

/**
 * Development only (AUTH_DEV_API_KEY_FILE; never in production): after the admin bootstrap, makes sure the file
 * holds a working API key of the local admin, so the README's first example runs as is. A key still valid there is
 * kept (the file is touched, so `npm start` sees it is current); otherwise a key named `dev` is created and written
 * with mode 0600. The secret goes to that file only, never to a log.
 */
@Injectable()
export class DevApiKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DevApiKeyService.name);

  constructor(
    private readonly adminBootstrap: AdminBootstrap,
    private readonly users: UsersRepository,
    private readonly keys: ApiKeysRepository,
    private readonly apiKeys: ApiKeysService,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const file = this.cfg.devApiKeyFile;
    if (!file) return;
    await this.adminBootstrap.ensureAdmin();
    const admin = await this.users.findByUsername(this.cfg.adminUsername);
    if (!admin || admin.role !== 'admin' || admin.disabledAt) {
      this.logger.warn(`No enabled admin '${this.cfg.adminUsername}': no dev API key written to ${file}`);
      return;
    }
    try {
      if (await this.holdsValidKey(file, admin)) {
        const now = new Date();
        await utimes(file, now, now);
        this.logger.log(`Dev API key for '${admin.username}' in ${file} is still valid`);
        return;
      }
      const created = await this.apiKeys.create(admin.id, null, { name: 'dev', permissions: 'all' });
      await writeSecretFile(file, `${created.key}\n`);
      this.logger.log(`Wrote a new dev API key for '${admin.username}' (key id ${created.id}) to ${file}`);
    } catch (err) {
      // A convenience: the app runs without it.
      this.logger.warn(`Could not write the dev API key to ${file}: ${(err as Error).message}`);
    }
  }

  private async holdsValidKey(file: string, admin: UserEntity): Promise<boolean> {
    const text = await readFile(file, 'utf8').catch(() => null);
    const secret = text?.trim();
    if (!secret) return false;
    const key = await this.keys.findByHash(sha256Hex(secret));
    return (
      !!key && key.userId === admin.id && !key.revokedAt && (!key.expiresAt || key.expiresAt.getTime() > Date.now())
    );
  }
}

/** Written beside the target and renamed over it, so a reader never sees half a key; 0600 from the start. */
async function writeSecretFile(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
