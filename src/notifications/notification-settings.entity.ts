import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { bigintNumber, Conversation } from '../messaging/conversation.entity.js';
import { User } from '../users/user.entity.js';

/** A user's notification preferences; a user without a row has the defaults. */
@Entity('notification_settings')
export class NotificationSettings {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'boolean', default: true })
  showPreviews!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  doNotDisturbUntil!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * How far a user has been told about a conversation: the next notification covers only messages
 * after `notifiedSeq` (and after the user's read watermark), so windows never count a message twice.
 */
@Entity('notification_marks')
export class NotificationMark {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  notifiedSeq!: number;
}

/** Server-wide push credentials generated once and shared by every node (the VAPID key pair). */
@Entity('push_keys')
export class PushKey {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  name!: string;

  @Column({ type: 'text' })
  publicKey!: string;

  @Column({ type: 'text' })
  privateKey!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
