import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import type { Role } from '@llmp/contracts';
import { UserEntity } from './user.entity';

const UNIQUE_VIOLATION = '23505';

export interface NewUser {
  username: string;
  email: string | null;
  passwordHash: string;
  role: Role;
}

export interface UserChanges {
  disabled?: boolean;
  role?: Role;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  monthlyBudget?: number | null;
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /** Case-insensitive, through the unique index on lower(username). */
  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getOne();
  }

  /** Inserts the user; null when the username (in any case) is taken. */
  async createIfUsernameFree(user: NewUser): Promise<UserEntity | null> {
    try {
      return await this.users.save(this.users.create({ ...user, disabledAt: null, rpmLimit: null, tpmLimit: null }));
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        return null;
      }
      throw err;
    }
  }

  async hasAdmin(): Promise<boolean> {
    return this.users.existsBy({ role: 'admin' });
  }

  /**
   * Creates the admin unless an admin already exists. Safe when several replicas boot at once: the unique index
   * lets exactly one insert win. False when nothing was inserted.
   */
  async createAdminIfNone(username: string, passwordHash: string): Promise<boolean> {
    const rows: unknown[] = await this.users.query(
      `INSERT INTO "auth"."users" ("username", "password_hash", "role")
       SELECT $1, $2, 'admin'
       WHERE NOT EXISTS (SELECT 1 FROM "auth"."users" WHERE "role" = 'admin')
       ON CONFLICT ((lower("username"))) DO NOTHING
       RETURNING "id"`,
      [username, passwordHash],
    );
    return rows.length > 0;
  }

  /** Enabled admins other than `exceptId`. */
  countOtherEnabledAdmins(exceptId: string): Promise<number> {
    return this.users
      .createQueryBuilder('u')
      .where(`u.role = 'admin' AND u.disabled_at IS NULL AND u.id <> :exceptId`, { exceptId })
      .getCount();
  }

  /** Newest first, keyset on (created_at, id) after the user `after`; `limit + 1` rows. */
  listPage(after: string | undefined, limit: number): Promise<UserEntity[]> {
    const qb = this.users.createQueryBuilder('u').orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC');
    if (after) {
      qb.where(`(u.created_at, u.id) < (SELECT c.created_at, c.id FROM "auth"."users" c WHERE c.id = :after)`, {
        after,
      });
    }
    return qb.take(limit + 1).getMany();
  }

  /** Applies the changes; null when there is no such user. Disabling keeps the first disabled_at. */
  async update(id: string, changes: UserChanges): Promise<UserEntity | null> {
    const set: Record<string, unknown> = {};
    if (changes.disabled !== undefined) {
      set.disabledAt = changes.disabled ? () => 'COALESCE(disabled_at, now())' : null;
    }
    if (changes.role !== undefined) set.role = changes.role;
    if (changes.rpmLimit !== undefined) set.rpmLimit = changes.rpmLimit;
    if (changes.tpmLimit !== undefined) set.tpmLimit = changes.tpmLimit;
    if (changes.monthlyBudget !== undefined) {
      set.monthlyBudget = changes.monthlyBudget === null ? null : String(changes.monthlyBudget);
    }
    if (Object.keys(set).length > 0) {
      await this.users.createQueryBuilder().update(UserEntity).set(set).where('id = :id', { id }).execute();
    }
    return this.findById(id);
  }
}
