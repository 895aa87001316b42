/**
 * Package-manager front ends (npm, npx, yarn, pnpm, corepack) start the user's processes but are
 * not what the user wants to profile. The agent recognises them by their main script path.
 */

const PACKAGE_MANAGER_DIR = /[\\/]node_modules[\\/](?:npm|pnpm|yarn|corepack|@yarnpkg[\\/]cli-dist|@pnpm[\\/]exe)[\\/]/i;
/** Yarn 2+ checks its release into the project: `.yarn/releases/yarn-4.5.0.cjs`. */
const YARN_RELEASE = /[\\/]\.yarn[\\/]releases[\\/]yarn-[^\\/]*\.c?js$/i;
/** Standalone installs keep the CLI file names even outside node_modules. */
const FRONT_END_FILE = /[\\/](?:npm-cli|npx-cli|npm-prefix|pnpm|pnpx|yarn|yarnpkg)\.c?js$/i;

/** True when `mainScript` (process.argv[1]) is the CLI of a package manager. */
export function isPackageManagerFrontEnd(mainScript: string | undefined): boolean {
  if (!mainScript) return false;
  return PACKAGE_MANAGER_DIR.test(mainScript) || YARN_RELEASE.test(mainScript) || FRONT_END_FILE.test(mainScript);
}
