import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { logClientError } from './client-errors';

/** Largest JSON body a route accepts; a flag with many rules stays far below it. */
export const MAX_BODY_BYTES = 100 * 1024;
/** Deepest nesting of objects and arrays in a body: the DTOs need 5, flag metadata a few more. */
export const MAX_BODY_DEPTH = 32;

/** What `NestFactory.create` needs so that `applyBodyLimits` installs the only body parser. */
export const BODY_PARSER_OFF = { bodyParser: false } as const;

const logger = new Logger('HTTP');

/**
 * JSON bodies only, bounded in size and depth before any validation runs: the validator and
 * class-transformer recurse, so a 2 KB body nested a thousand levels would overflow the stack
 * (a 500). Refusals are client errors: answered 400/413/415 with a message and logged as a
 * warning, without a stack trace.
 */
export function applyBodyLimits(app: NestExpressApplication): void {
  app.use(requireJsonBodies);
  // express.json, not app.useBodyParser: Nest's options type leaves out the `verify` hook.
  app.use(json({ limit: MAX_BODY_BYTES, verify: assertShallowJson }));
  app.use(answerBodyErrors);
}

/** 415 for a write whose body is not JSON (forms, text): the API speaks JSON only. */
function requireJsonBodies(request: Request, response: Response, next: NextFunction): void {
  if (!hasBody(request) || isJson(request.headers['content-type'])) return next();
  reply(request, response, 415, 'Content-Type must be application/json');
}

/**
 * body-parser's `verify` hook: runs on the raw bytes before JSON.parse. Counts bracket depth
 * outside strings in one pass; throws a 400 past MAX_BODY_DEPTH.
 */
function assertShallowJson(_request: unknown, _response: unknown, body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c /* \ */) i++;
      else if (byte === 0x22 /* " */) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b /* { */ || byte === 0x5b /* [ */) {
      if (++depth > MAX_BODY_DEPTH) {
        throw Object.assign(
          new Error(`JSON body is nested more than ${MAX_BODY_DEPTH} levels deep`),
          { status: 400, expose: true },
        );
      }
    } else if (byte === 0x7d /* } */ || byte === 0x5d /* ] */) {
      depth--;
    }
  }
}

/** Errors of the body parser (http-errors: too large, malformed, too deep, bad charset). */
function answerBodyErrors(
  error: unknown,
  request: Request,
  response: Response,
  next: NextFunction,
): void {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return next(error);
  const message =
    error instanceof SyntaxError
      ? 'Request body is not valid JSON'
      : error instanceof Error && (error as { expose?: boolean }).expose
        ? error.message
        : (STATUS_CODES[status] ?? 'Bad Request');
  reply(request, response, status, message);
}

function reply(request: Request, response: Response, status: number, message: string): void {
  logClientError(logger, request, status, message);
  response
    .status(status)
    .json({ statusCode: status, message, error: STATUS_CODES[status] ?? 'Error' });
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';', 1)[0].trim().toLowerCase();
  return (
    type === 'application/json' ||
    (type?.startsWith('application/') === true && type.endsWith('+json'))
  );
}
