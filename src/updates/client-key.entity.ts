import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A key that signs client requests (HMAC-SHA256). Verifying needs the secret itself, so it is kept
 * encrypted (AES-256-GCM under a key derived from JWT_SECRET), never in clear.
 */
@Entity('client_keys')
export class ClientKey {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  keyId!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  /** base64(iv | tag | ciphertext) */
  @Column({ type: 'text' })
  secretSealed!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
