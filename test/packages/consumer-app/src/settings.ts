import { Injectable, Module } from '@nestjs/common';

type Backend = 'memory' | 'redis';

function read(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function backend(name: string): Backend {
  const value = read(name);
  if (value !== 'memory' && value !== 'redis') throw new Error(`${name}: memory or redis`);
  return value;
}

/** What the app reads from its environment; a stand-in for @nestjs/config. */
@Injectable()
export class Settings {
  readonly redisUrl = read('REDIS_URL');
  readonly redisPrefix = read('REDIS_PREFIX');
  readonly flagsBackend = backend('FLAGS_BACKEND');
  readonly authBackend = backend('AUTH_BACKEND');
}

@Module({ providers: [Settings], exports: [Settings] })
export class SettingsModule {}
