import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** An installation of a client, registered by the client itself; one row per deviceId. */
@Entity('devices')
@Index('ix_devices_platform_version', ['platform', 'appVersion'])
export class Device {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  deviceId!: string;

  @Column({ type: 'varchar', length: 32 })
  platform!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  model!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  osVersion!: string | null;

  @Column({ type: 'varchar', length: 64 })
  appVersion!: string;

  @Column({ type: 'varchar', length: 35, nullable: true })
  appLocale!: string | null;

  @Column({ type: 'varchar', length: 35, nullable: true })
  deviceLocale!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
