import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { ClientKey } from './client-key.entity.js';

/** The SQL of client keys (their secrets stored sealed). */
@Injectable()
export class ClientKeysRepository {
  constructor(private readonly db: DataSource) {}

  insert(key: Pick<ClientKey, 'keyId' | 'name' | 'secretSealed'>): Promise<ClientKey> {
    const repo = this.db.getRepository(ClientKey);
    return repo.save(repo.create(key));
  }

  /** Keys, oldest first, after the key `afterKeyId`. */
  list(limit: number, afterKeyId?: string): Promise<ClientKey[]> {
    return queryRows<ClientKey>(
      this.db,
      `SELECT key_id AS "keyId", name, secret_sealed AS "secretSealed", created_at AS "createdAt", revoked_at AS "revokedAt"
         FROM client_keys k
        WHERE $2::text IS NULL
           OR (k.created_at, k.key_id) > (SELECT created_at, key_id FROM client_keys WHERE key_id = $2)
        ORDER BY k.created_at, k.key_id LIMIT $1`,
      [limit, afterKeyId ?? null],
    );
  }

  findByKeyId(keyId: string): Promise<ClientKey | null> {
    return this.db.getRepository(ClientKey).findOneBy({ keyId });
  }

  /** Marks a key revoked; false when there is no such key. */
  async revoke(keyId: string): Promise<boolean> {
    const result = await this.db.getRepository(ClientKey).update({ keyId }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }
}
