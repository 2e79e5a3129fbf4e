import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { RefreshTokenEntity } from './refresh-token.entity';

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/** Refresh tokens. Methods take an optional EntityManager so the service can run them in one transaction. */
@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>) {}

  private repo(em?: EntityManager): Repository<RefreshTokenEntity> {
    return em ? em.getRepository(RefreshTokenEntity) : this.tokens;
  }

  async insert(token: NewRefreshToken, em?: EntityManager): Promise<void> {
    await this.repo(em).insert(token);
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  /** Locks the row until the transaction ends, so two concurrent refreshes of one token are serialised. */
  findByHashForUpdate(tokenHash: string, em: EntityManager): Promise<RefreshTokenEntity | null> {
    return this.repo(em)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getOne();
  }

  async markUsed(id: string, em?: EntityManager): Promise<void> {
    await this.repo(em).update({ id }, { usedAt: () => 'now()' });
  }

  /** Revokes every token of the family not revoked yet; returns how many. */
  async revokeFamily(familyId: string, em?: EntityManager): Promise<number> {
    const res = await this.repo(em).update({ familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return res.affected ?? 0;
  }

  async revokeAllOfUser(userId: string, em?: EntityManager): Promise<number> {
    const res = await this.repo(em).update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return res.affected ?? 0;
  }
}
