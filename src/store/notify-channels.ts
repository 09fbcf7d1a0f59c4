import type { ChangeChannel } from '../domain/revocations/change-notifications.js';

/** The NOTIFY channel of each kind of change; writers notify inside their transaction, so a rollback notifies nobody. */
export const NOTIFY_CHANNELS: Readonly<Record<ChangeChannel, string>> = { revocations: 'idsvc_revocations', keys: 'idsvc_keys' };

/** The channel a NOTIFY name stands for. */
export const channelOf: ReadonlyMap<string, ChangeChannel> = new Map(Object.entries(NOTIFY_CHANNELS).map(([channel, name]) => [name, channel as ChangeChannel]));
