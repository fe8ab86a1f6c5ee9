/**
 * Environment variables that make a program run code, load code, or read its
 * configuration from somewhere else. A child gets one only when
 * `environment.allow_vars` names that exact variable (a glob such as `*` or `GIT_*` is
 * not enough): the operator has to mean it. Matching ignores case (npm, for one, reads
 * `npm_config_*` in any case). `NAME*` is a prefix.
 */
const INJECTION_VARS: readonly [pattern: string, why: string][] = [
  // Dynamic loaders
  [
    "LD_*",
    "LD_PRELOAD / LD_LIBRARY_PATH / LD_AUDIT load a shared object into every dynamically linked program",
  ],
  ["DYLD_*", "the macOS loader's LD_* equivalents"],
  ["GCONV_PATH", "glibc's iconv loads gconv modules (shared objects) from it"],
  ["LOCPATH", "glibc loads locale data from it; a crafted locale has been a memory-corruption vector"],
  ["OPENSSL_CONF", "OpenSSL config can load engines and providers (shared objects)"],
  ["OPENSSL_ENGINES", "directory OpenSSL loads engine shared objects from"],
  // Shells
  ["BASH_ENV", "non-interactive bash sources this file before running anything"],
  ["ENV", "sh/dash/ksh source this file"],
  ["BASH_FUNC_*", "exported bash functions override commands in every bash child"],
  ["SHELLOPTS", "turns on xtrace and friends in bash children (with PS4: code execution)"],
  ["BASHOPTS", "same, for shopt options"],
  ["PS4", "expanded, command substitutions included, on every xtrace line"],
  ["PROMPT_COMMAND", "run by bash before each prompt"],
  ["IFS", "changes word splitting inside every shell script the child runs"],
  ["ZDOTDIR", "zsh reads .zshenv (code) from here"],
  ["SHELL", "make, git, npm and editors run `$SHELL -c …`"],
  // Pagers, editors, browsers: programs run by the tools we allow
  ["PAGER", "git, man and others run it through a shell"],
  ["GIT_PAGER", "git runs it through a shell"],
  ["MANPAGER", "man runs it through a shell"],
  ["LESS*", "LESSOPEN/LESSCLOSE run an input preprocessor; LESS can carry commands"],
  ["EDITOR", "git commit/rebase/tag run it through a shell"],
  ["VISUAL", "same as EDITOR"],
  ["GIT_EDITOR", "git runs it through a shell"],
  ["GIT_SEQUENCE_EDITOR", "git rebase -i runs it through a shell"],
  ["BROWSER", "git web--browse, Python's webbrowser and others run it"],
  ["VIMINIT", "vim executes it as Ex commands (`:!` included)"],
  ["EXINIT", "vi/ex execute it as Ex commands"],
  // git
  [
    "GIT_CONFIG*",
    "GIT_CONFIG_COUNT/KEY_n/VALUE_n, GIT_CONFIG_PARAMETERS, GIT_CONFIG_GLOBAL inject config (core.sshCommand, core.pager, core.fsmonitor run commands)",
  ],
  ["GIT_SSH", "program git runs for ssh transports"],
  ["GIT_SSH_COMMAND", "command git runs through a shell for ssh transports"],
  ["GIT_SSH_VARIANT", "changes how git builds the ssh command line"],
  ["GIT_PROXY_COMMAND", "command git runs for git:// connections"],
  ["GIT_ASKPASS", "program git runs to ask for credentials"],
  ["SSH_ASKPASS", "program ssh runs to ask for credentials"],
  ["SUDO_ASKPASS", "program sudo runs to ask for a password"],
  ["GIT_EXTERNAL_DIFF", "program git diff runs"],
  ["GIT_EXEC_PATH", "where git finds its subcommands (git-* programs)"],
  ["GIT_TEMPLATE_DIR", "hooks copied into new repositories, then run"],
  ["GIT_DIR", "points git at another repository (its hooks and config run), past the argv path gate"],
  ["GIT_WORK_TREE", "points git at another working tree, past the argv path gate"],
  ["GIT_COMMON_DIR", "same as GIT_DIR for linked worktrees"],
  ["GIT_INDEX_FILE", "git reads and writes the index at this path"],
  ["GIT_OBJECT_DIRECTORY", "git reads and writes objects at this path"],
  ["GIT_ALTERNATE_OBJECT_DIRECTORIES", "git reads objects from these paths"],
  ["GIT_TRACE*", "git writes trace output to the file these name: a write anywhere"],
  ["GIT_ALLOW_PROTOCOL", "can enable the ext:: transport, which runs a command"],
  ["GIT_SSL_NO_VERIFY", "turns off TLS verification for git"],
  // Language runtimes
  ["NODE_OPTIONS", "--require/--import load a module into every node process"],
  ["NODE_PATH", "changes where node resolves modules"],
  ["NODE_REPL_EXTERNAL_MODULE", "node loads this module in place of the REPL"],
  ["NPM_CONFIG_*", "npm settings: script-shell, node-options, onload-script run code"],
  ["PYTHON*", "PYTHONSTARTUP/PYTHONPATH/PYTHONHOME/PYTHONBREAKPOINT/PYTHONWARNINGS load or run code"],
  ["PERL*", "PERL5OPT (-M module), PERL5LIB, PERL5DB load or run code"],
  ["RUBY*", "RUBYOPT (-r library), RUBYLIB load code"],
  ["BUNDLE_GEMFILE", "a Gemfile is Ruby code that bundler evaluates"],
  ["JAVA_TOOL_OPTIONS", "-javaagent loads code into every JVM"],
  ["_JAVA_OPTIONS", "same, older spelling"],
  ["JDK_JAVA_OPTIONS", "same, for the java launcher"],
  ["CLASSPATH", "classes found here shadow the application's"],
  ["DOTNET_STARTUP_HOOKS", "assemblies .NET runs at startup"],
  ["CORECLR_*", "CORECLR_PROFILER_PATH loads a profiler into .NET processes"],
  ["COMPLUS_*", "legacy .NET runtime switches, including profilers"],
  ["LUA_INIT*", "lua runs this code (or file) at startup"],
  ["LUA_PATH*", "changes where lua loads modules"],
  ["LUA_CPATH*", "changes where lua loads C modules (shared objects)"],
  ["PHPRC", "php.ini location (auto_prepend_file runs code)"],
  ["PHP_INI_SCAN_DIR", "extra php.ini files"],
  ["GOFLAGS", "-toolexec runs a program for every go tool invocation"],
  ["GOTOOLCHAIN", "makes go download and run another toolchain"],
  ["RUSTC_WRAPPER", "cargo runs this program in place of rustc"],
  ["RUSTC_WORKSPACE_WRAPPER", "same, for workspace members"],
  ["RUSTC", "cargo runs this program as the compiler"],
  ["RUSTDOC", "cargo runs this program as rustdoc"],
  // Build tools
  ["MAKEFILES", "GNU make reads these makefiles (recipes are shell commands) first"],
  ["MAKEFLAGS", "GNU make options, including variable overrides and --eval"],
  ["CC", "make and build scripts run it as the C compiler"],
  ["CXX", "same, C++ compiler"],
  ["CPP", "same, preprocessor"],
  ["LD", "same, linker"],
  ["AR", "same, archiver"],
  // Where configuration is read from
  [
    "HOME",
    "tools read ~/.gitconfig, ~/.npmrc, ~/.bashrc… from it: a script that writes a file and points HOME at it controls their config",
  ],
  ["XDG_CONFIG_HOME", "same, for ~/.config (git, pip, …)"],
];

export interface InjectionHit {
  pattern: string;
  why: string;
}

export function injectionVar(name: string): InjectionHit | undefined {
  const upper = name.toUpperCase();
  for (const [pattern, why] of INJECTION_VARS) {
    const hit = pattern.endsWith("*") ? upper.startsWith(pattern.slice(0, -1)) : upper === pattern;
    if (hit) return { pattern, why };
  }
  return undefined;
}
