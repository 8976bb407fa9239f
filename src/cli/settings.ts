import { RULES } from '../../rules/index.js';
import { findConfig, loadConfig, type ResolvedConfig } from '../engine/config.js';
import type { TargetId } from '../engine/rule.js';
import type { RuleSettings } from '../engine/run-rules.js';
import type { Dim } from '../ir/shape.js';
import { parseInputShapes, parseRuleFlags } from './lint.js';

export interface SettingsArgs {
  config?: string;
  rule?: string | string[];
  inputShape?: string | string[];
  target?: TargetId;
}

/**
 * What applies to each model of a run: the config file (--config, or the nearest
 * .graphlintrc.json upward, read once per file), then --target and --rule on top.
 * Shared by lint and fix, so both judge a model the same way.
 */
export class RunSettings {
  readonly inputShapes: Map<string, Dim[]>;
  private readonly overrides;
  private explicit: ResolvedConfig | undefined;
  private readonly configs = new Map<string, ResolvedConfig | undefined>();

  private constructor(private readonly args: SettingsArgs) {
    const list = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
    this.overrides = parseRuleFlags(list(args.rule));
    this.inputShapes = parseInputShapes(list(args.inputShape));
  }

  /** Parses the flags, then reads --config (asynchronously: reading one loads the validator). */
  static async create(args: SettingsArgs): Promise<RunSettings> {
    const run = new RunSettings(args);
    if (args.config) run.explicit = await loadConfig(args.config, RULES);
    return run;
  }

  /** The target and per-rule settings for the model at `path`. */
  async for(path: string): Promise<{ target: TargetId; settings: Map<string, RuleSettings> }> {
    const config = await this.configFor(path);
    const settings = new Map<string, RuleSettings>(config?.settings ?? []);
    for (const [id, severity] of this.overrides) {
      const rule = RULES.find((r) => r.meta.id === id)!;
      settings.set(id, { severity, options: settings.get(id)?.options ?? rule.meta.defaultOptions });
    }
    return { target: this.args.target ?? config?.target ?? 'ane', settings };
  }

  private async configFor(path: string): Promise<ResolvedConfig | undefined> {
    if (this.explicit) return this.explicit;
    const file = findConfig(path);
    if (file === null) return undefined;
    if (!this.configs.has(file)) this.configs.set(file, await loadConfig(file, RULES));
    return this.configs.get(file);
  }
}
