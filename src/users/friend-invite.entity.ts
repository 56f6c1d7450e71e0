import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { User } from './user.entity.js';

/** A shareable code (link, QR) that makes whoever accepts it a friend of its creator. */
@Entity('friend_invites')
@Index('ix_friend_invites_creator', ['creatorId'])
export class FriendInvite {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  code!: string;

  @Column({ type: 'uuid' })
  creatorId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'creator_id' })
  creator?: Relation<User>;

  /** Single-use codes are spent by their first acceptance. */
  @Column({ type: 'boolean', default: false })
  multiUse!: boolean;

  @Column({ type: 'int', default: 0 })
  uses!: number;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
