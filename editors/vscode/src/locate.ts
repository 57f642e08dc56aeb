// Finds the program that runs the server. VS Code's extension host takes PATH from a login
// shell (or from however the editor was started), so a `coderd` that a terminal finds may not be
// on it: pipx puts its programs in ~/.local/bin, which many login shells leave out.
// No `vscode` import here, so the lookup is unit-tested under plain Node (test/unit.test.js).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface LocateOptions {
  command: string; // coderd.serverCommand: a name, or a path (~ allowed)
  venv?: string; // coderd.venv: a virtual environment to take the command from
  envPath?: string; // the extension host's PATH
  home?: string;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  isExecutable?: (file: string) => boolean;
}

export interface Located {
  program?: string; // the absolute path to run; absent when nothing was found
  tried: string[]; // every place looked at, in order (for the log and the message)
  via: string; // how it was found or where it should have been: "PATH", "pipx", "coderd.venv", ...
  beyondPath?: string[]; // the folders looked in besides PATH's
}

export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') || p.startsWith('~\\') ? path.join(home, p.slice(2)) : p;
}

export function locateServer(o: LocateOptions): Located {
  const home = o.home ?? os.homedir();
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  const isExec = o.isExecutable ?? isExecutableFile;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const names = platform === 'win32' && !/\.[a-z]+$/i.test(o.command)
    ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean).map((ext) => o.command + ext.toLowerCase())
    : [o.command];
  const tried: string[] = [];
  const look = (dirs: string[], via: string): Located | undefined => {
    for (const dir of dirs) {
      for (const name of names) {
        const file = p.join(dir, name);
        if (tried.includes(file)) continue;
        tried.push(file);
        if (isExec(file)) return { program: file, tried, via };
      }
    }
    return undefined;
  };

  const command = expandHome(o.command, home);
  if (command.includes('/') || (platform === 'win32' && command.includes('\\'))) {
    // A path: the user said where it is; looking elsewhere would run something else.
    const file = p.resolve(command);
    tried.push(file);
    return isExec(file) ? { program: file, tried, via: 'coderd.serverCommand' } : { tried, via: 'coderd.serverCommand' };
  }
  if (o.venv) {
    const bin = p.join(expandHome(o.venv, home), platform === 'win32' ? 'Scripts' : 'bin');
    return look([bin], 'coderd.venv') ?? { tried, via: 'coderd.venv' };
  }
  const onPath = (o.envPath ?? env.PATH ?? '').split(p.delimiter).filter((d) => d && p.isAbsolute(d));
  const found = look(onPath, 'PATH');
  if (found) return found;
  // Where installers put programs that a login shell's PATH may lack.
  const data = env.XDG_DATA_HOME || p.join(home, '.local', 'share');
  const pipx = [
    env.PIPX_BIN_DIR,
    p.join(home, '.local', 'bin'),
    // pipx's own venv for the package (pipx >= 1.3 keeps them under the XDG data folder)
    p.join(data, 'pipx', 'venvs', o.command, 'bin'),
    p.join(home, '.local', 'pipx', 'venvs', o.command, 'bin'),
  ].filter((d): d is string => !!d);
  const others = platform === 'win32' ? []
    : ['/usr/local/bin', ...(platform === 'darwin' ? ['/opt/homebrew/bin'] : []), p.join(home, 'bin')];
  return look(pipx, 'pipx') ?? look(others, 'a common folder') ??
    { tried, via: 'PATH', beyondPath: [...pipx, ...others] };
}

/** One line that says where coderd was looked for and how to make it found. */
export function notFoundMessage(command: string, located: Located, home: string = os.homedir()): string {
  const short = (f: string) => (f.startsWith(home + '/') ? '~' + f.slice(home.length) : f);
  let where: string;
  if (located.via === 'coderd.serverCommand') {
    where = `coderd.serverCommand "${command}" is not an executable file`;
  } else if (located.via === 'coderd.venv') {
    where = `coderd.venv has no ${located.tried.map(short).join(' or ')}`;
  } else {
    const places = Array.from(new Set((located.beyondPath ?? []).map(short)));
    where = `"${command}" was not found on PATH${places.length ? ' nor in ' + places.join(', ') : ''}`;
  }
  return `coderd: ${where}. Install it from a checkout with "pipx install /path/to/coderd", ` +
    'or set coderd.serverCommand to its full path (or coderd.venv to the virtual environment it is in).';
}
