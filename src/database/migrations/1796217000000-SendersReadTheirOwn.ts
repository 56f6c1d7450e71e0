import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data only: sending now moves the sender's read watermark to the message sent, so that `unread`
 * (lastSeq - readSeq) counts only other people's messages. Existing members catch up here.
 */
export class SendersReadTheirOwn1796217000000 implements MigrationInterface {
  name = 'SendersReadTheirOwn1796217000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE conversation_members m
         SET read_seq = s.seq, delivered_seq = GREATEST(m.delivered_seq, s.seq)
        FROM (SELECT conversation_id, sender_id, max(seq) AS seq FROM messages
               WHERE sender_id IS NOT NULL GROUP BY conversation_id, sender_id) s
       WHERE m.conversation_id = s.conversation_id AND m.user_id = s.sender_id AND m.read_seq < s.seq`);
  }

  async down(): Promise<void> {
    // Nothing to undo: the watermarks stay where readers would have put them.
  }
}
