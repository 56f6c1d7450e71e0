import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type GroupVisibility = 'private' | 'public';

/**
 * A private group or a public/private topic. Its members, with their roles, are the members of its
 * `group` conversation (messaging owns that table); the group holds what is about the group itself.
 */
@Entity('groups')
@Index('ix_groups_public_name', ['visibility', 'nameKey', 'id'])
export class Group {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  /** Lower-cased name for directory search and ordering. */
  @Column({ type: 'varchar', length: 128 })
  nameKey!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  topic!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'private' })
  visibility!: GroupVisibility;

  /** Private topic: any member may invite. */
  @Column({ type: 'boolean', default: false })
  membersCanInvite!: boolean;

  @Column({ type: 'int', default: 500 })
  maxMembers!: number;

  /** The tenant the group belongs to, if any (its applications may push to it). */
  @Index('ix_groups_tenant')
  @Column({ type: 'uuid', nullable: true })
  tenantId!: string | null;

  /** The host system's id for a group mirrored through the service API. */
  @Index('uq_groups_external_id', { unique: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Index('uq_groups_conversation', { unique: true })
  @Column({ type: 'uuid' })
  conversationId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
