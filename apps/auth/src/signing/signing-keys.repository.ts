import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import type { JWK } from 'jose';
import { SigningKeyEntity } from './signing-key.entity';

/** An arbitrary constant naming the advisory lock that serialises key creation across replicas. */
const KEY_CREATION_LOCK = 7_311_204_001;

@Injectable()
export class SigningKeysRepository {
  constructor(@InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>) {}

  private repo(em?: EntityManager): Repository<SigningKeyEntity> {
    return em ? em.getRepository(SigningKeyEntity) : this.keys;
  }

  /** Held until the transaction ends: replicas booting together create one key, not one each. */
  async lockKeyCreation(em: EntityManager): Promise<void> {
    await em.query('SELECT pg_advisory_xact_lock($1)', [KEY_CREATION_LOCK]);
  }

  findNewestActive(em?: EntityManager): Promise<SigningKeyEntity | null> {
    return this.repo(em).findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
  }

  findAllActive(): Promise<SigningKeyEntity[]> {
    return this.keys.find({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
  }

  async insert(key: { kid: string; privateKeyPem: string; publicJwk: JWK }, em?: EntityManager): Promise<void> {
    await this.repo(em).insert(key);
  }
}
