import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { UserRole } from '../common/auth/auth-context.js';

export type { UserRole };

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  /** Lower-cased username: usernames are unique regardless of case. */
  @Index('uq_users_username_key', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  usernameKey!: string;

  @Column({ type: 'varchar', length: 64 })
  displayName!: string;

  /** argon2id hash; null for users whose identity lives in a host system. */
  @Column({ type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @Index('uq_users_external_id', { unique: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deactivatedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;
}
