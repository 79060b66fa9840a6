import { ecsFormat } from '@elastic/ecs-winston-format';
import winston from 'winston';
import type { Config } from './config.js';

export type Logger = winston.Logger;

export const SERVICE_NAME = 'vitrine-realtime';

/** ECS JSON lines on stdout, one per event, ready for Filebeat/Logstash. */
export function createLogger(config: Pick<Config, 'logLevel' | 'nodeEnv'>): Logger {
  return winston.createLogger({
    level: config.logLevel,
    format: ecsFormat({ serviceName: SERVICE_NAME, serviceEnvironment: config.nodeEnv, convertErr: true }),
    transports: [new winston.transports.Console()],
  });
}
