import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The kinds of conversation; each has a `ConversationPolicy`, registered by the module that owns it. */
export const CONVERSATION_TYPES = ['direct', 'group', 'org', 'app'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

/** Postgres bigint arrives as a string; seqs stay far below 2^53. */
export const bigintNumber = {
  to: (v: number) => v,
  from: (v: string | number | null) => (v === null ? 0 : Number(v)),
};

/**
 * Every message bumps `last_seq` and `last_activity_at`; neither is indexed, so that bump is a HOT
 * update (no index entries). The inbox reaches a user's conversations through their memberships.
 */
@Entity('conversations')
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: ConversationType;

  @Column({ type: 'varchar', length: 128, nullable: true })
  title!: string | null;

  /**
   * One conversation per pair: for direct conversations the two user ids, sorted, joined by ':';
   * for application channels 'app:<appId>:<userId>'.
   */
  @Index('uq_conversations_pair_key', { unique: true })
  @Column({ type: 'varchar', length: 80, nullable: true })
  pairKey!: string | null;

  @Index('uq_conversations_group', { unique: true })
  @Column({ type: 'uuid', nullable: true })
  groupId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  orgUnitId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  appId!: string | null;

  /** Kept in step with conversation_members, so capacity checks need no count. */
  @Column({ type: 'int', default: 0 })
  memberCount!: number;

  /** The seq of the newest message; the next message gets lastSeq + 1 in the same statement. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  lastSeq!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastActivityAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
