// The rule catalogue. Rule ids are part of the public contract (configuration, ignore comments).
import type { Rule } from '../server/src/engine/rule';
import { undersizedPool } from './undersized-pool';
import { missingPrePing } from './missing-pre-ping';
import { missingRecycle } from './missing-recycle';
import { unboundedAcquireWait } from './unbounded-acquire-wait';
import { sqliteInProduction } from './sqlite-in-production';
import { sqlitePoolSizing } from './sqlite-pool-sizing';
import { sqliteMultipleWriters } from './sqlite-multiple-writers';
import { invalidPoolSetting } from './invalid-pool-setting';
import { hardcodedPoolSize } from './hardcoded-pool-size';
import { missingErrorListener } from './missing-error-listener';
import { poolExceedsServerConnections } from './pool-exceeds-server-connections';
import { sqliteNoWal } from './sqlite-no-wal';
import { sqliteNoBusyTimeout } from './sqlite-no-busy-timeout';
import { sqliteSingleSharedConnection } from './sqlite-single-shared-connection';
import { unlimitedOpenConnections } from './unlimited-open-connections';
import { djangoConnectionPerRequest } from './django-connection-per-request';

export const RULES: Rule[] = [
  undersizedPool,
  missingPrePing,
  missingRecycle,
  unboundedAcquireWait,
  sqliteInProduction,
  sqlitePoolSizing,
  sqliteMultipleWriters,
  invalidPoolSetting,
  hardcodedPoolSize,
  missingErrorListener,
  poolExceedsServerConnections,
  sqliteNoWal,
  sqliteNoBusyTimeout,
  sqliteSingleSharedConnection,
  unlimitedOpenConnections,
  djangoConnectionPerRequest,
];

export const RULE_IDS = RULES.map((r) => r.meta.id);
