import type { LoggerService } from '@nestjs/common';
import type { Request } from 'express';

/**
 * One warning line for a refused request (4xx), never a stack trace: the request was at fault,
 * not the server. Control characters in the message (it may quote a path parameter or a field)
 * are escaped, so a client cannot forge log lines.
 */
export function logClientError(
  logger: LoggerService,
  request: Request,
  status: number,
  message: string,
): void {
  logger.warn(`${request.method} ${request.path}: ${status} ${escapeControls(message)}`);
}

function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
