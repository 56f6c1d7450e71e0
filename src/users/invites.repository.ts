import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import { FriendInvite } from './friend-invite.entity.js';

/** The SQL of friend invites. */
@Injectable()
export class InvitesRepository {
  constructor(private readonly db: DataSource) {}

  insert(invite: Pick<FriendInvite, 'code' | 'creatorId' | 'multiUse' | 'expiresAt'>): Promise<FriendInvite> {
    const repo = this.db.getRepository(FriendInvite);
    return repo.save(repo.create(invite));
  }

  findByCode(code: string): Promise<FriendInvite | null> {
    return this.db.getRepository(FriendInvite).findOneBy({ code });
  }

  /** Counts one use, in one statement: false when the code expired or (single-use) was used already. */
  async spend(code: string): Promise<boolean> {
    const rows = await queryRows<{ code: string }>(
      this.db,
      `UPDATE friend_invites SET uses = uses + 1
        WHERE code = $1 AND expires_at > now() AND (multi_use OR uses = 0) RETURNING code`,
      [code],
    );
    return rows.length > 0;
  }
}
