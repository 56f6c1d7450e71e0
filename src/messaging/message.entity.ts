import {
  Column,
  CreateDateColumn,
  Entity,
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
}
