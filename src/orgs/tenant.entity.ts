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
import { User } from '../users/user.entity.js';

export type TenantRole = 'owner' | 'admin' | 'member';

@Entity('tenants')
export class Tenant {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  /** Daily quota of application pushes (messages delivered by apps); null: unlimited. */
  @Column({ type: 'int', nullable: true })
  appPushesPerDay!: number | null;

  /** Daily quota of messages posted into the tenant's conversations; null: unlimited. */
  @Column({ type: 'int', nullable: true })
  messagesPerDay!: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

@Entity('tenant_members')
@Index('ix_tenant_members_user', ['userId'])
export class TenantMember {
  @PrimaryColumn({ type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Relation<Tenant>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 16 })
  role!: TenantRole;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Per-tenant, per-UTC-day counters behind the quotas; incremented atomically with the limit check. */
@Entity('tenant_usage')
export class TenantUsage {
  @PrimaryColumn({ type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant?: Relation<Tenant>;

  @Column({ type: 'int', default: 0 })
  appPushes!: number;

  @Column({ type: 'int', default: 0 })
  messages!: number;
}
