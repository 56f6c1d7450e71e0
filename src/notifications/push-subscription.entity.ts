import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';
import { User } from '../users/user.entity.js';

export type PushKind = 'webpush' | 'apns' | 'fcm';
export const PUSH_KINDS: readonly PushKind[] = ['webpush', 'apns', 'fcm'];

/**
 * Where one signed-in device receives pushes: a Web Push endpoint with its keys, or an APNs or FCM
 * device token. Bound to the session that registered it; one row per endpoint or token.
 */
@Entity('push_subscriptions')
@Index('uq_push_subscriptions_address', ['kind', 'address'], { unique: true })
@Index('ix_push_subscriptions_user', ['userId'])
@Index('ix_push_subscriptions_session', ['sessionId'])
export class PushSubscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Relation<Session>;

  @Column({ type: 'varchar', length: 16 })
  kind!: PushKind;

  /** The Web Push endpoint URL, or the APNs / FCM device token. */
  @Column({ type: 'varchar', length: 1024 })
  address!: string;

  /** Web Push only: the browser's P-256 public key and auth secret (base64url). */
  @Column({ type: 'varchar', length: 128, nullable: true })
  p256dh!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  auth!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
