import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

const bigintNumber = { to: (v: number) => v, from: (v: string | number) => Number(v) };

/** A client build for one platform. The file lives under DATA_DIR/releases by the release's id. */
@Entity('releases')
@Unique('uq_releases_platform_version', ['platform', 'version'])
@Index('ix_releases_platform_parts', ['platform', 'versionParts'])
export class Release {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  platform!: string;

  @Column({ type: 'varchar', length: 64 })
  version!: string;

  /** The version as four integers: arrays compare numerically, part by part. */
  @Column({ type: 'int', array: true })
  versionParts!: number[];

  @Column({ type: 'text', default: '' })
  notes!: string;

  @Column({ type: 'boolean', default: false })
  mandatory!: boolean;

  @Column({ type: 'bigint', transformer: bigintNumber })
  size!: number;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  /** The uploaded file's name, for the download's Content-Disposition only. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  fileName!: string | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  downloads!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Per-platform policy: clients below minSupportedVersion must update. */
@Entity('platform_policies')
export class PlatformPolicy {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  platform!: string;

  @Column({ type: 'varchar', length: 64 })
  minSupportedVersion!: string;

  @Column({ type: 'int', array: true })
  minSupportedParts!: number[];
}
