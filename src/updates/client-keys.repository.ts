import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClientKey } from './client-key.entity.js';

/** The SQL of client keys (their secrets stored sealed). */
@Injectable()
export class ClientKeysRepository {
  constructor(private readonly db: DataSource) {}

  insert(key: Pick<ClientKey, 'keyId' | 'name' | 'secretSealed'>): Promise<ClientKey> {
    const repo = this.db.getRepository(ClientKey);
    return repo.save(repo.create(key));
  }

  list(limit: number): Promise<ClientKey[]> {
    return this.db.getRepository(ClientKey).find({ order: { createdAt: 'ASC' }, take: limit });
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
