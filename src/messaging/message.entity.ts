import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { bigintNumber, Conversation } from './conversation.entity.js';

export type MessageType = 'text' | 'image' | 'voice' | 'file' | 'link' | 'system';
export const MESSAGE_TYPES: readonly MessageType[] = ['text', 'image', 'voice', 'file', 'link', 'system'];

export interface StoredAttachment {
  id: string;
  mime: string;
  size: number;
  name: string | null;
}

@Entity('messages')
@Unique('uq_messages_conversation_seq', ['conversationId', 'seq'])
@Unique('uq_messages_sender_client_msg_id', ['senderId', 'clientMsgId'])
@Index('ix_messages_changes', ['conversationId', 'changedXid'], { where: '"changed_xid" IS NOT NULL' })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;

  /** Looked up by sender through the unique (sender_id, client_msg_id) index, which leads with it. */
  @Column({ type: 'uuid', nullable: true })
  senderId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  appId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'text' })
  type!: MessageType;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attachments!: StoredAttachment[];

  @Column({ type: 'varchar', length: 128, nullable: true })
  clientMsgId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  editedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  /**
   * The PostgreSQL transaction (xid8 as a number) that last edited or deleted the message, for
   * sync's `changes`: a sync token is a snapshot, and a change is new to a client when its
   * transaction is not visible in the client's snapshot.
   */
  @Column({ type: 'bigint', nullable: true, select: false })
  changedXid?: string | null;
}
