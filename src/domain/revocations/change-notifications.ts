/** What replicas tell each other about, so each reloads it at once instead of at its next periodic reload. */
export type ChangeChannel = 'revocations' | 'keys';

/**
 * Notifications between replicas. Delivery is best effort: a replica that
 * was disconnected learns it through `onGap` and reloads everything, and the
 * periodic reload covers whatever is lost without either.
 */
export interface ChangeNotifications {
  listen(handlers: { onChange(channel: ChangeChannel): void; onGap(): void }): Promise<void>;
  close(): Promise<void>;
}
