import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { User } from './user.entity.js';

export type FriendRequestStatus = 'pending' | 'accepted' | 'declined';

@Entity('friend_requests')
@Index('uq_friend_requests_pending', ['fromUserId', 'toUserId'], {
  unique: true,
  where: `status = 'pending'`,
})
@Index('ix_friend_requests_to', ['toUserId', 'status'])
export class FriendRequest {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  fromUserId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'from_user_id' })
  fromUser?: Relation<User>;

  @Column({ type: 'uuid' })
  toUserId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'to_user_id' })
  toUser?: Relation<User>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: FriendRequestStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  respondedAt!: Date | null;
}
