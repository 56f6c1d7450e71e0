import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A user left (or was removed from) a conversation: kept so that sync can tell a client that was
 * away in `changes.left`. The row goes when the user joins again. No foreign key to the
 * conversation: a deleted conversation is a departure its former members must still hear of.
 */
@Entity('conversation_departures')
@Index('ix_conversation_departures_user_xid', ['userId', 'xid'])
export class ConversationDeparture {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** The transaction (xid8 as a number) that ended the membership. */
  @Column({ type: 'bigint' })
  xid!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  leftAt!: Date;
}
