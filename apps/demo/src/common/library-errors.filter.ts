import {
  ApiKeyNotFoundError,
  ApiKeyVersionConflictError,
  ExpiredApiKeyError,
  InjectApiKeyStorage,
  InvalidApiKeyInputError,
  RevokedApiKeyError,
  type ApiKeyStorage,
} from '@gatekeeper/api-auth';
import { TimeoutError } from '@gatekeeper/common';
import {
  EnvironmentAlreadyExistsError,
  EnvironmentFlagAlreadyExistsError,
  EnvironmentFlagNotFoundError,
  EnvironmentNotFoundError,
  FlagAlreadyExistsError,
  FlagNotFoundError,
  FlagRuleNotFoundError,
  FlagVariantNotFoundError,
  FlagVersionConflictError,
  InjectFeatureFlagStorage,
  InvalidFlagError,
  ReferenceNotFoundError,
  RolloutPhaseAlreadyExistsError,
  ScheduledChangeNotFoundError,
  SegmentAlreadyExistsError,
  SegmentNotFoundError,
  type FeatureFlagStorage,
} from '@gatekeeper/feature-flags';
import {
  BadRequestException,
  Catch,
  ConflictException,
  HttpException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
  type ArgumentsHost,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request } from 'express';
import { logClientError } from './client-errors';
import { storageIsDown } from './storage-outage';

/**
 * Every error a request ends with passes here. The libraries throw typed errors that carry no
 * HTTP meaning: the ones an admin request can cause get the status a client expects (validation
 * 400, conflicts 409, missing records 404, a body naming a record that does not exist 422, a
 * storage timeout 503); an unknown error is a 500, or a
 * 503 while a storage is down. Client errors (4xx) are logged as warnings without a stack: they are
 * the caller's mistake, not the server's. Server errors are logged at error level: an unknown error
 * with its stack (Nest's handling), a 5xx answered on purpose with the stack of its cause.
 */
@Catch()
export class LibraryErrorsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(
    @InjectFeatureFlagStorage() private readonly flagStorage: FeatureFlagStorage,
    @InjectApiKeyStorage() private readonly keyStorage: ApiKeyStorage,
  ) {
    super();
  }

  override catch(error: unknown, host: ArgumentsHost): void {
    const exception = toHttpException(error);
    if (host.getType() !== 'http') return super.catch(exception ?? error, host);
    if (exception) return this.answer(exception, host);
    // An unknown error: a 500, unless a storage is down (a driver error of the outage).
    void storageIsDown([this.flagStorage, this.keyStorage])
      .then((down) =>
        down
          ? this.answer(new ServiceUnavailableException(STORAGE_DOWN, { cause: error }), host)
          : super.catch(error, host),
      )
      .catch(() => super.catch(error, host));
  }

  private answer(exception: HttpException, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const status = exception.getStatus();
    if (status < 500) {
      logClientError(this.logger, request, status, messageOf(exception));
    } else {
      // A 5xx answered on purpose (auth or a health check that found its storage down, an
      // outage): the stack worth logging is its cause's, when it has one.
      const cause = exception.cause instanceof Error ? exception.cause : undefined;
      this.logger.error(
        `${request.method} ${request.path}: ${status} ${messageOf(exception)}`,
        ...(cause ? [cause.stack] : []),
      );
    }
    super.catch(exception, host);
  }
}

const STORAGE_DOWN = 'The storage is temporarily unavailable';

/** The `HttpException` a client gets for `error`; `undefined` for an unknown error (a 500). */
function toHttpException(error: unknown): HttpException | undefined {
  if (error instanceof HttpException) return error;
  if (error instanceof InvalidFlagError || error instanceof InvalidApiKeyInputError) {
    return new BadRequestException([error.message]);
  }
  if (
    error instanceof FlagAlreadyExistsError ||
    error instanceof FlagVersionConflictError ||
    error instanceof SegmentAlreadyExistsError ||
    error instanceof EnvironmentAlreadyExistsError ||
    error instanceof EnvironmentFlagAlreadyExistsError ||
    error instanceof RolloutPhaseAlreadyExistsError ||
    error instanceof ApiKeyVersionConflictError
  ) {
    return new ConflictException(error.message);
  }
  if (
    error instanceof FlagNotFoundError ||
    error instanceof FlagRuleNotFoundError ||
    error instanceof FlagVariantNotFoundError ||
    error instanceof SegmentNotFoundError ||
    error instanceof EnvironmentNotFoundError ||
    error instanceof EnvironmentFlagNotFoundError ||
    error instanceof ScheduledChangeNotFoundError ||
    error instanceof ApiKeyNotFoundError
  ) {
    return new NotFoundException(error.message);
  }
  // The route exists and the body is well-formed, but it names a record that does not (a parent,
  // or a flag deleted while the request ran): the request cannot be carried out as written.
  if (error instanceof ReferenceNotFoundError) {
    return new UnprocessableEntityException([error.message]);
  }
  // Rotating a key that can no longer be used.
  if (error instanceof ExpiredApiKeyError || error instanceof RevokedApiKeyError) {
    return new ConflictException(`cannot rotate: ${error.message.toLowerCase()}`);
  }
  // A storage call that hit its timeout (a hanging database): unavailable, like auth's 503.
  if (error instanceof TimeoutError) {
    return new ServiceUnavailableException(STORAGE_DOWN, { cause: error });
  }
  // Errors of express middleware and the router (http-errors: a bad percent-encoding is a 400).
  const status = (error as { status?: unknown } | null)?.status;
  if (error instanceof Error && typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpException(error.message, status, { cause: error });
  }
  return undefined;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = 'message' in response ? response.message : exception.message;
  return Array.isArray(message) ? message.join('; ') : String(message);
}
