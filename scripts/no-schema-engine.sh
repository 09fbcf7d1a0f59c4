#!/bin/sh
echo "Prisma's schema engine is not installed here: apply migrations with 'npm run migrate'." >&2
exit 1
