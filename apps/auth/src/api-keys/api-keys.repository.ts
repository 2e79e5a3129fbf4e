import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { ApiKeyPermissions, Scope } from '@llmp/contracts';
import { ApiKeyEntity } from './api-key.entity';

export interface NewApiKey {
  userId: string;
  name: string;
  prefix: string;
  keyHash: string;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  expiresAt: Date | null;
  permissions: ApiKeyPermissions;
  scopes: Scope[] | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  create(key: NewApiKey): Promise<ApiKeyEntity> {
    return this.keys.save(this.keys.create({ ...key, revokedAt: null, lastUsedAt: null }));
  }

  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ keyHash });
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOneBy({ id });
  }

  /** The user's keys not revoked, newest first, keyset on (created_at, id) after the key `after`; `limit + 1`. */
  listActivePage(userId: string, after: string | undefined, limit: number): Promise<ApiKeyEntity[]> {
    const qb = this.keys
      .createQueryBuilder('k')
      .where('k.user_id = :userId AND k.revoked_at IS NULL', { userId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC');
    if (after) {
      qb.andWhere(
        `(k.created_at, k.id) < (SELECT c.created_at, c.id FROM "auth"."api_keys" c WHERE c.id = :after AND c.user_id = :userId)`,
        { after },
      );
    }
    return qb.take(limit + 1).getMany();
  }

  /** Revokes the key if it is the user's and not revoked yet; false otherwise. */
  async revoke(id: string, userId: string): Promise<boolean> {
    const res = await this.keys
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND user_id = :userId AND revoked_at IS NULL', { id, userId })
      .execute();
    return (res.affected ?? 0) > 0;
  }

  /** Sets last_used_at to now unless it was set within the last minute (no write then). */
  async touchLastUsed(id: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ lastUsedAt: () => 'now()' })
      .where(`id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, { id })
      .execute();
  }
}
