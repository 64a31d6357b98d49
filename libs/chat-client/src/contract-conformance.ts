import type * as contracts from '@chat/contracts';
import type { ChatMessage, ConversationClosed, ConversationSummary, ReadReceipt } from './types';

/**
 * Compile-time only, never imported: `npm run typecheck` fails here when a shape the client
 * publishes (types.ts) and its libs/contracts schema stop being the same type, in either
 * direction. The published declarations cannot point at libs/contracts (its types are zod's
 * inferences, and the package must stand alone), so they are written out and held to it here.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type ContractConformance = [
  Assert<Same<ChatMessage, contracts.ChatMessage>>,
  Assert<Same<ConversationSummary, contracts.ConversationListItem>>,
  Assert<Same<ReadReceipt, contracts.MessagesReadPayload>>,
  Assert<Same<ConversationClosed, contracts.ConversationClosedPayload>>,
];
