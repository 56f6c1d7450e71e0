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
import { Message } from './message.entity.js';

/** An uploaded file. Stored under DATA_DIR/attachments by its id, never by a client-supplied name. */
@Entity('attachments')
export class Attachment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_attachments_uploader')
  @Column({ type: 'uuid' })
  uploaderId!: string;

  /** Detected from the content, not taken from the client. */
  @Column({ type: 'varchar', length: 128 })
  mime!: string;

  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  size!: number;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  /** The client's file name, for display only. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** Which conversations reference an attachment: their members may read it. */
@Entity('message_attachments')
@Index('ix_message_attachments_conversation', ['conversationId'])
export class MessageAttachment {
  @PrimaryColumn({ type: 'uuid' })
  attachmentId!: string;

  @PrimaryColumn({ type: 'uuid' })
  messageId!: string;

  @ManyToOne(() => Attachment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'attachment_id' })
  attachment?: Relation<Attachment>;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Relation<Message>;

  @Column({ type: 'uuid' })
  conversationId!: string;
}
