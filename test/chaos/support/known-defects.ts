/**
 * Defects the fault suite shows, named once so that the short and the full suite say the same.
 * Each names where the code goes wrong; docs/reliability.md describes them in full.
 */
export const DEFECTS = {
  /**
   * message-service (send-message-handler.ts, attempt()) refuses a command past its expiresAt
   * before looking whether it was already stored. A command committed before a RabbitMQ outage
   * (or a crash) whose deliveries were never confirmed comes back after the outage expired:
   * it is refused with TIMEOUT and its new-message is never published; the sender's re-send
   * finds the row and, not being a redelivery, publishes only message-sent (announce()). The
   * receiver is never told: not live, not in the offline queue, only in history.
   */
  expiredRedeliveryNotAnnounced:
    'an expired redelivery of a stored command is refused (TIMEOUT) and its new-message never published',
  /**
   * libs/db isDatabaseUnavailable() recognises pg's "Connection terminated unexpectedly" only
   * at the start of the message, but knex prefixes the SQL ("<sql> - Connection terminated
   * unexpectedly"), so a store whose connection dies mid-query is not retryable: the batch is
   * failed and its command handed back to the broker (requeued, counted towards maxAttempts)
   * instead of held and tried again.
   */
  connectionTerminatedNotRetryable:
    'a store whose PostgreSQL connection dies mid-query is requeued instead of held (knex-prefixed "Connection terminated" not seen as retryable)',
  /**
   * message-service (send-message-handler.ts, runBatch()/attempt()) keeps the commands it
   * refused in the held batch's `waiting` list: while the database stays away and other
   * commands of the batch are still live, every retry (about once a second) refuses the
   * expired ones again. Each repeat publishes another send-rejected, which on the edge fails
   * whatever newer send of that clientMessageId is waiting (the client's re-send gets the old
   * command's TIMEOUT), and moves the refusal time forward (send-deadlines.ts), so that re-send
   * is refused as "behind a refusal" too.
   */
  expiredRefusedAgain:
    'a held batch refuses its expired commands again on every retry, failing the re-sends that follow them',
  /**
   * socket-edge's close() (app.ts) disconnects every socket first and only then fails the
   * pending sends with UNAVAILABLE, which can no longer reach anyone: a send in flight at
   * SIGTERM gets no answer at all.
   */
  shutdownDropsPendingAnswers:
    'on SIGTERM the edge disconnects sockets before answering the sends in flight, which then get no answer',
} as const;
