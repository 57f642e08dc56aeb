// Which documents get completions: the `coderd.enable` setting plus the status-bar toggle.
// No `vscode` import here, so the logic is unit-tested under plain Node (test/unit.test.js).

/** `coderd.enable`: a boolean for everything, or per-language booleans with "*" as the default. */
export type EnableSetting = boolean | Record<string, unknown> | undefined | null;

export function enabledFor(languageId: string, setting: EnableSetting): boolean {
  if (typeof setting === 'boolean') {
    return setting;
  }
  if (setting === null || setting === undefined || typeof setting !== 'object') {
    return true;
  }
  if (typeof setting[languageId] === 'boolean') {
    return setting[languageId] as boolean;
  }
  if (typeof setting['*'] === 'boolean') {
    return setting['*'] as boolean;
  }
  return true;
}

/** The text inserted by one edit, found as what lies between the common prefix and suffix. */
export function insertedText(before: string, after: string): string {
  if (after.length <= before.length) {
    return '';
  }
  let start = 0;
  while (start < before.length && before[start] === after[start]) {
    start++;
  }
  let end = 0;
  while (end < before.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) {
    end++;
  }
  return after.slice(start, after.length - end);
}

/** The next line of a suggestion: up to and including its first newline, or all of it. */
export function nextLine(remaining: string): string {
  const newline = remaining.indexOf('\n');
  return newline < 0 ? remaining : remaining.slice(0, newline + 1);
}
