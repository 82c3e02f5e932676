import type { LanguageId, LineIndex, Tree } from '../syntax';
import type { EnvResolver } from '../envfiles';
import type { PoolModel } from '../model';
import type { ModuleLoader } from '../python/evaluator';

export interface DetectorContext {
  file: string;
  text: string;
  lines: LineIndex;
  tree: Tree;
  env: EnvResolver;
  /** Profiles to evaluate, in order. */
  profiles: string[];
  /** Library versions pinned by the project (lower-case package name to version), when known. */
  versions: Map<string, { version: string; source: string }>;
  /** Display form of a path, for text the model carries (how a value was known). */
  rel(file: string): string;
  /** Follows imports of the workspace's own Python modules. */
  modules?: ModuleLoader;
}

export interface Detector {
  /** Library id, e.g. 'sqlalchemy'. */
  id: string;
  language: LanguageId;
  /** A cheap test on the raw text: files that fail it are never parsed for this detector. */
  prefilter: RegExp;
  detect(ctx: DetectorContext): PoolModel[];
}
