/** Socket.IO room names: decided by the server, never by a client. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  conversation: (conversationId: string) => `conv:${conversationId}`,
  platform: (platform: string) => `platform:${platform}`,
};
