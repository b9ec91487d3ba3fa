import { Inject } from '@nestjs/common';
import { API_KEY_STORAGE } from '../api-auth.constants';

/** Injects the bound `ApiKeyStorage`: `constructor(@InjectApiKeyStorage() storage: ApiKeyStorage)`. */
export const InjectApiKeyStorage = (): PropertyDecorator & ParameterDecorator =>
  Inject(API_KEY_STORAGE);
