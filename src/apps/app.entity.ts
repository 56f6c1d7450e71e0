import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { Tenant } from '../orgs/tenant.entity.js';
import { User } from '../users/user.entity.js';

/** A tenant's application that pushes messages to the tenant's users. Its key is stored only as a hash. */
@Entity('apps')
@Index('ix_apps_tenant', ['tenantId'])
export class App {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Relation<Tenant>;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  /** SHA-256 of the API key (the key is 256 random bits, so a fast hash is enough). */
  @Index('uq_apps_key_hash', { unique: true })
  @Column({ type: 'char', length: 64 })
  keyHash!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  keyRotatedAt!: Date;
}

/** A user who does not want pushes from an app. */
@Entity('app_mutes')
export class AppMute {
  @PrimaryColumn({ type: 'uuid' })
  appId!: string;

  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: Relation<App>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
