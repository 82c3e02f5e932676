import type { LanguageId, LineIndex, Tree } from '../syntax';
import { ProfileEnv, type EnvFile, type EnvResolver, type ReadFile } from '../envfiles';
import * as path from 'path';
import type { FileProblem, PoolModel, ProfileModel } from '../model';
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
  /** Reads another workspace file (for re-exports, manifests and similar links between files). */
  read: ReadFile;
  /** The workspace root (manifests are looked up from the file's folder up to it). */
  root: string;
  /** The workspace's source files (Django: which settings modules build on which). */
  sources?: string[];
}

export interface Detector {
  /** Library id, e.g. 'sqlalchemy'. */
  id: string;
  /** The grammars whose files it reads (TS, TSX and JS detectors share one detector). */
  languages: LanguageId[];
  /** A cheap test on the raw text: files that fail it are never parsed for this detector. */
  prefilter: RegExp;
  detect(ctx: DetectorContext): PoolModel[];
}

/**
 * The profiles worth evaluating for a file: those with env files of their own. A profile without
 * any (production configured by the platform, say) would only repeat the code's fallbacks as if
 * they were its values, so it is left out, unless no profile has files (then all are the same and
 * findings say so) or the user asked for that one profile.
 */
export function activeProfiles(ctx: Pick<DetectorContext, 'file' | 'profiles' | 'env'>): string[] {
  if (ctx.profiles.length <= 1) return ctx.profiles;
  const withFiles = ctx.profiles.filter((p) => ctx.env.filesFor(ctx.file, p).length > 0);
  return withFiles.length > 0 ? withFiles : ctx.profiles;
}


/** Names of settings (and 'database') whose effective value is not the same in every profile. */
export function differences(profiles: Record<string, ProfileModel>): string[] {
  const list = Object.values(profiles);
  if (list.length < 2) return [];
  const out: string[] = [];
  if (new Set(list.map((p) => `${p.database.kind}|${p.database.url ?? ''}`)).size > 1) out.push('database');
  for (const name of Object.keys(list[0].settings)) {
    const vals = new Set(list.map((p) => JSON.stringify([p.settings[name]?.value ?? null, p.settings[name]?.source])));
    if (vals.size > 1) out.push(name);
  }
  return out;
}

/** What a text detector sees: a file that is not a tree-sitter language (YAML config, say). */
export interface TextDetectorContext {
  file: string;
  text: string;
  lines: LineIndex;
  env: EnvResolver;
  profiles: string[];
  versions: Map<string, { version: string; source: string }>;
  rel(file: string): string;
  /** Reads another workspace file (cached, through the caller's reader). */
  read: ReadFile;
  /** The workspace's source files (those the tree detectors parse), for linking config to code. */
  sources: string[];
  /** Reports a problem with the file (a parse error, say); the run goes on. */
  problem(p: FileProblem): void;
  /** Every file of the workspace walk (config files that belong together: Spring's application-{profile} files). */
  files?: string[];
  /** The workspace root (manifests are looked up from the file's folder up to it). */
  root?: string;
  /**
   * The sources (in `sources` order) that write `key` between quotes (' " or `), when the scan
   * indexed that key (one of `quotedKeys`); undefined when it did not.
   */
  quoting?(key: string): string[] | undefined;
}

/** A detector that reads text rather than a syntax tree; `matches` routes files to it. */
export interface TextDetector {
  id: string;
  /** Whether the file is this detector's kind (by its path, and its text where the path cannot tell). */
  matches(file: string, text: string): boolean;
  /** A cheap test on the raw text: files that fail it are never parsed for this detector. */
  prefilter: RegExp;
  detect(ctx: TextDetectorContext): PoolModel[];
  /**
   * The strings `detect` will look for between quotes in the workspace's sources (a YAML
   * section's key that code reads as `config["pool"]`), so a scan can find them while it reads the
   * sources once, instead of the detector reading every source again.
   */
  quotedKeys?(file: string, text: string): string[];
}


/** The manifests (package.json, Cargo.toml) that govern a source file: from its folder up to the workspace root. */
export function manifestsFor(ctx: Pick<DetectorContext, 'file' | 'root' | 'read'>, name: string): { file: string; text: string }[] {
  const root = path.resolve(ctx.root);
  const out: { file: string; text: string }[] = [];
  let dir = path.dirname(ctx.file);
  if (path.relative(root, dir).startsWith('..')) return out;
  for (;;) {
    const file = path.join(dir, name);
    const text = ctx.read(file);
    if (text !== undefined) out.push({ file, text });
    const up = path.dirname(dir);
    if (dir === root || up === dir) break;
    dir = up;
  }
  return out;
}

/**
 * One evaluator per profile worth evaluating for this file, made once and shared by every pool in
 * the file, with the env files that profile reads.
 */
export function evaluatorsFor<E>(ctx: Pick<DetectorContext, 'file' | 'profiles' | 'env'>, make: (env: ProfileEnv) => E): { profile: string; envFiles: EnvFile[]; ev: E }[] {
  return activeProfiles(ctx).map((profile) => {
    const envFiles = ctx.env.filesFor(ctx.file, profile);
    return { profile, envFiles, ev: make(new ProfileEnv(profile, envFiles)) };
  });
}
