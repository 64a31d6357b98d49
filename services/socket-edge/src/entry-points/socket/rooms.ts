/** Socket.IO room names. Every socket of a user joins its user room; deliveries go there only. */
export const userRoom = (userId: string) => `user:${userId}`;
export const conversationRoom = (conversationId: string) => `conversation:${conversationId}`;
