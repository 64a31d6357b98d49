/**
 * Prints a TutorGo-shaped access token for local testing:
 *
 *   npm run token -- <userId> [--role student|tutor] [--email e] [--expires 1h]
 *
 * Signs with HS256 and JWT_SECRET from the environment, or the development secret when it is
 * unset. Only the token goes to stdout, so `TOKEN=$(npm run -s token -- user-1)` works.
 */
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { ConfigError, DEV_JWT_SECRET, loadConfig, sharedEnv } from '@chat/config';
import { describeIssue, userIdSchema } from '@chat/contracts';

const USAGE = `Usage: npm run token -- <userId> [--role student|tutor] [--email <email>] [--expires <span>]

  userId     1-100 letters, digits or dashes (e.g. user-123)
  --role     student or tutor
  --email    email claim
  --expires  lifetime in seconds or with a unit: 30m, 1h, 7d (default 1h)

Signs with JWT_SECRET from the environment (default: the development secret).`;

const argsSchema = z.object({
  userId: userIdSchema,
  role: z.enum(['student', 'tutor'], { message: 'must be student or tutor' }).optional(),
  email: z.email({ message: 'must be an email address' }).optional(),
  expires: z
    .string()
    .regex(/^\d+(ms|s|m|h|d|w|y)?$/, 'must be seconds or a number with ms, s, m, h, d, w or y')
    .default('1h'),
});

class UsageError extends Error {}

function readArgs(argv: string[]): z.infer<typeof argsSchema> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        email: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('expected exactly one userId');
  const result = argsSchema.safeParse({ userId: parsed.positionals[0], ...parsed.values });
  if (!result.success) {
    throw new UsageError(describeIssue(result.error, { whole: 'arguments' }));
  }
  return result.data;
}

function main(): void {
  let args: z.infer<typeof argsSchema>;
  try {
    args = readArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`mint-token: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }

  let secret: string;
  try {
    secret = loadConfig({ jwtSecret: sharedEnv.jwtSecret }).jwtSecret ?? DEV_JWT_SECRET;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if (secret === DEV_JWT_SECRET) {
    console.error('mint-token: JWT_SECRET is not set, signing with the development secret');
  }

  const claims = {
    userId: args.userId,
    ...(args.email !== undefined && { email: args.email }),
    ...(args.role !== undefined && { role: args.role }),
  };
  const expiresIn = /^\d+$/.test(args.expires) ? Number(args.expires) : args.expires;
  console.log(
    jwt.sign(claims, secret, {
      algorithm: 'HS256',
      expiresIn: expiresIn as jwt.SignOptions['expiresIn'],
    }),
  );
}

main();
