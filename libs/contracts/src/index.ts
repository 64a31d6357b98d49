export * from './ids';
export * from './chat-message';
export * from './socket-events';
export * from './commands';
export * from './deliveries';
export * from './domain-events';
export * from './booking-events';
export * from './topology';
