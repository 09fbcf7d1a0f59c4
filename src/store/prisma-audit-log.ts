import type { AuditEvent, AuditLog } from '../domain/audit.js';
import type { PrismaClient } from './prisma/generated/client.js';

export class PrismaAuditLog implements AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  async record(event: AuditEvent): Promise<void> {
    await this.prisma.auditEvent.create({
      data: {
        type: event.type,
        userId: event.userId ?? null,
        clientId: event.clientId ?? null,
        familyId: event.familyId ?? null,
        ip: event.ip ?? null,
        detail: event.detail ?? {},
        createdAt: event.at,
      },
    });
  }
}
