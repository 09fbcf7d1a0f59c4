import type { Role, User } from '../domain/users/user.js';
import { ROLES } from '../domain/users/user.js';
import type { NewUser, UserStore } from '../domain/users/user-store.js';
import { Prisma, type PrismaClient, type User as UserRow } from './prisma/generated/client.js';

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  emailNormalized: row.emailNormalized,
  passwordHash: row.passwordHash,
  roles: row.roles.filter((role): role is Role => (ROLES as readonly string[]).includes(role)),
  disabledAt: row.disabledAt,
  createdAt: row.createdAt,
});

const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

export class PrismaUserStore implements UserStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(user: NewUser): Promise<boolean> {
    try {
      await this.prisma.user.create({
        data: {
          id: user.id,
          email: user.email,
          emailNormalized: user.emailNormalized,
          passwordHash: user.passwordHash,
          roles: [...user.roles],
          passwordChangedAt: user.createdAt,
          createdAt: user.createdAt,
          updatedAt: user.createdAt,
        },
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async findByEmail(emailNormalized: string): Promise<User | undefined> {
    const row = await this.prisma.user.findUnique({ where: { emailNormalized } });
    return row ? toUser(row) : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.prisma.user.findUnique({ where: { id } });
    return row ? toUser(row) : undefined;
  }

  // One conditional UPDATE: of any number of concurrent attempts, at most
  // `maxFailures` pass while the guesses before them are still being verified.
  async reserveAttempt(id: string, now: Date, maxFailures: number): Promise<boolean> {
    const { count } = await this.prisma.user.updateMany({
      where: {
        id,
        failedLoginCount: { lt: maxFailures },
        OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }],
      },
      data: { failedLoginCount: { increment: 1 }, lockedUntil: null },
    });
    return count === 1;
  }

  async lockIfExhausted(id: string, maxFailures: number, lockedUntil: Date, now: Date): Promise<boolean> {
    const { count } = await this.prisma.user.updateMany({
      where: { id, failedLoginCount: { gte: maxFailures } },
      data: { failedLoginCount: 0, lockedUntil, updatedAt: now },
    });
    return count === 1;
  }

  async clearFailures(id: string, now: Date): Promise<void> {
    await this.prisma.user.updateMany({ where: { id, failedLoginCount: { gt: 0 } }, data: { failedLoginCount: 0, updatedAt: now } });
  }

  async setPasswordHash(id: string, passwordHash: string, now: Date, changed: boolean): Promise<void> {
    await this.prisma.user.update({
      where: { id },
      data: { passwordHash, updatedAt: now, ...(changed ? { passwordChangedAt: now } : {}) },
    });
  }

  async disable(id: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.user.updateMany({ where: { id }, data: { disabledAt: now, updatedAt: now } });
    return count === 1;
  }
}
