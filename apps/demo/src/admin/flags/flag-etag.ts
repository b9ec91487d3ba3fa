import type { FeatureFlag } from '@gatekeeper/feature-flags';
import {
  Injectable,
  PreconditionFailedException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';

/*
 * HTTP conditional requests on top of the flag's `version`: responses carrying a flag send
 * `ETag: "<version>"`, and writes accept `If-Match` with that tag (or `*`). A strong tag: If-Match
 * compares strongly, and one version of a flag has exactly one representation.
 */

export function flagETag(flag: Pick<FeatureFlag, 'version'>): string {
  return `"${flag.version}"`;
}

/** A parsed `If-Match` header: `*`, or the versions of its strong entity tags. */
export class IfMatch {
  private constructor(
    private readonly any: boolean,
    private readonly versions: readonly number[],
  ) {}

  /** `undefined` when the request has no If-Match (the write is retried on conflict instead). */
  static parse(header: string | undefined): IfMatch | undefined {
    if (header === undefined) return undefined;
    const tags = header.split(',').map((tag) => tag.trim());
    const versions = tags.flatMap((tag) => {
      // A weak tag (W/"3") never matches under If-Match's strong comparison.
      const version = /^"(\d{1,10})"$/.exec(tag)?.[1];
      return version === undefined ? [] : [Number(version)];
    });
    return new IfMatch(tags.includes('*'), versions);
  }

  /** @throws PreconditionFailedException when the flag is not at a version the client named. */
  check(flag: Pick<FeatureFlag, 'key' | 'version'>): void {
    if (this.any || this.versions.includes(flag.version)) return;
    throw IfMatch.failed(flag);
  }

  static failed(flag: Pick<FeatureFlag, 'key' | 'version'>): PreconditionFailedException {
    return new PreconditionFailedException(
      `flag "${flag.key}" is at version ${flag.version} (ETag ${flagETag(flag)}), not the one ` +
        `If-Match names: read it again`,
    );
  }
}

/** Sets the ETag of a response whose body is a flag. */
@Injectable()
export class FlagETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as Partial<FeatureFlag> | null | undefined)?.version;
        if (typeof version === 'number') response.setHeader('ETag', flagETag({ version }));
        return body;
      }),
    );
  }
}
