/** The fix options of the lint command (CONTRACT.md). */
export interface FixArgs {
  fix?: boolean;
  fixUnsafe?: boolean;
  fixDryRun?: boolean;
  out?: string;
  verify?: boolean;
  verifyTolerance?: number;
}

/** True when the lint command was asked to fix (apart from fix.ts, whose imports are heavy). */
export function wantsFix(args: FixArgs): boolean {
  return !!(args.fix || args.fixUnsafe || args.fixDryRun || args.out !== undefined || args.verify);
}
