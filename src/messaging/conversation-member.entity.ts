import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import { bigintNumber, Conversation } from './conversation.entity.js';

export type MemberRole = 'owner' | 'admin' | 'member';

/** A user's place in a conversation, with how far they have received and read it. */
@Entity('conversation_members')
@Index('ix_conversation_members_user', ['userId'])
export class ConversationMember {
  @PrimaryColumn({ type: 'uuid' })
  conversationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** Moderation role: group owners and admins manage members and may delete others' messages. */
  @Column({ type: 'varchar', length: 16, default: 'member' })
  role!: MemberRole;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  readSeq!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  deliveredSeq!: number;

  /** Muted for notifications; with `mutedUntil` null, until unmuted. */
  @Column({ type: 'boolean', default: false })
  muted!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  mutedUntil!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  joinedAt!: Date;
}
