import { ApiKeyNotFoundError, ExpiredApiKeyError, RevokedApiKeyError } from '@gatekeeper/api-auth';
import {
  FlagAlreadyExistsError,
  FlagNotFoundError,
  InvalidFlagError,
} from '@gatekeeper/feature-flags';
import {
  BadRequestException,
  Catch,
  ConflictException,
  NotFoundException,
  type ArgumentsHost,
  type HttpException,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

type LibraryError =
  | FlagAlreadyExistsError
  | FlagNotFoundError
  | InvalidFlagError
  | ApiKeyNotFoundError
  | ExpiredApiKeyError
  | RevokedApiKeyError;

/**
 * The libraries throw typed errors that carry no HTTP meaning; this maps the ones an admin
 * request can cause to the status a client expects. Anything else stays a 500.
 */
@Catch(
  FlagAlreadyExistsError,
  FlagNotFoundError,
  InvalidFlagError,
  ApiKeyNotFoundError,
  ExpiredApiKeyError,
  RevokedApiKeyError,
)
export class LibraryErrorsFilter extends BaseExceptionFilter {
  override catch(error: LibraryError, host: ArgumentsHost): void {
    super.catch(toHttpException(error), host);
  }
}

function toHttpException(error: LibraryError): HttpException {
  if (error instanceof FlagAlreadyExistsError) return new ConflictException(error.message);
  if (error instanceof InvalidFlagError) return new BadRequestException([error.message]);
  if (error instanceof FlagNotFoundError || error instanceof ApiKeyNotFoundError) {
    return new NotFoundException(error.message);
  }
  // Rotating a key that can no longer be used.
  return new ConflictException(`cannot rotate: ${error.message.toLowerCase()}`);
}
