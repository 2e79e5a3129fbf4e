import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { FileEntity } from './file.entity';

/** The user's uploaded files (`rag.files`). Every query is scoped to the owner. */
@Injectable()
export class FilesRepository {
  constructor(@InjectRepository(FileEntity) private readonly files: Repository<FileEntity>) {}

  async insert(row: Omit<FileEntity, 'createdAt'>): Promise<FileEntity> {
    await this.files.insert({ ...row, createdAt: new Date() });
    return (await this.findOwned(row.userId, row.id))!;
  }

  /** The user's file that has not expired, or null. */
  findOwned(userId: string, id: string): Promise<FileEntity | null> {
    return this.files
      .createQueryBuilder('f')
      .where('f.id = :id AND f.user_id = :userId', { id, userId })
      .andWhere('(f.expires_at IS NULL OR f.expires_at > now())')
      .getOne();
  }

  /** The user's files among `ids` (unexpired), by id. */
  async findManyOwned(userId: string, ids: readonly string[]): Promise<Map<string, FileEntity>> {
    if (!ids.length) return new Map();
    const rows = await this.files
      .createQueryBuilder('f')
      .where('f.id IN (:...ids) AND f.user_id = :userId', { ids: [...new Set(ids)], userId })
      .andWhere('(f.expires_at IS NULL OR f.expires_at > now())')
      .getMany();
    return new Map(rows.map((r) => [r.id, r]));
  }

  async content(userId: string, id: string): Promise<FileEntity | null> {
    return this.files
      .createQueryBuilder('f')
      .addSelect('f.content')
      .where('f.id = :id AND f.user_id = :userId', { id, userId })
      .andWhere('(f.expires_at IS NULL OR f.expires_at > now())')
      .getOne();
  }

  /** For the ingest job (scoped by the vector store file it serves). */
  contentById(id: string): Promise<FileEntity | null> {
    return this.files.createQueryBuilder('f').addSelect('f.content').where('f.id = :id', { id }).getOne();
  }

  listPage(userId: string, q: { after?: string; order: 'asc' | 'desc'; limit: number; purpose?: string }) {
    const qb = this.files
      .createQueryBuilder('f')
      .where('f.user_id = :userId', { userId })
      .andWhere('(f.expires_at IS NULL OR f.expires_at > now())');
    if (q.purpose !== undefined) qb.andWhere('f.purpose = :purpose', { purpose: q.purpose });
    if (q.after !== undefined) {
      qb.andWhere(
        `(f.created_at, f.id) ${q.order === 'asc' ? '>' : '<'} (SELECT a.created_at, a.id FROM "rag"."files" a WHERE a.id = :after AND a.user_id = :userId)`,
        { after: q.after },
      );
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    return qb
      .orderBy('f.created_at', dir)
      .addOrderBy('f.id', dir)
      .take(q.limit + 1)
      .getMany();
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const res = await this.files.delete({ id, userId });
    return (res.affected ?? 0) > 0;
  }

  /**
   * Locks up to `limit` files past their `expires_at` for the caller's transaction, skipping those another replica
   * has locked, and answers their ids.
   */
  async lockExpired(em: EntityManager, limit: number): Promise<string[]> {
    const rows = (await em.query(
      `SELECT "id" FROM "rag"."files" WHERE "expires_at" <= now()
       ORDER BY "expires_at" LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Deletes the files (bytes, vector store files and chunks by cascade). */
  async deleteMany(em: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length) await em.query(`DELETE FROM "rag"."files" WHERE "id" = ANY($1)`, [[...ids]]);
  }

  async deleteAllOf(userId: string): Promise<number> {
    const res = await this.files.delete({ userId });
    return res.affected ?? 0;
  }
}
