#pragma once
// External controls: any scanner a security team runs, described in jit.yml under `controls:`
// (central configuration only), and the built-in presets (bandit, flawfinder, shellcheck, eslint)
// that the default plan enables where their language is present and their tool is installed.
// Data only: agent/controls/external runs them.
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::config {

/// How a tool's exit status is read. A status in none of the lists is an error.
struct ExitCodes {
  std::vector<int> ok{0};          ///< ran, found nothing (or its report says what it found)
  std::vector<int> findings;       ///< ran and found something
  std::vector<int> error;          ///< the tool failed (listed for clarity; anything unlisted is too)
};

/// One external control.
struct ToolSpec {
  std::string name;                      ///< key under `controls:` ("bandit", "my-sast")
  bool enabled = true;
  /// Enabled by the default plan (a preset nobody configured): runs only when its tool is found
  /// and a file of its languages is present; a missing tool is a skip, not an error. A preset
  /// named in jit.yml or on the command line is required: a missing tool makes it errored.
  bool automatic = false;
  bool preset = false;                   ///< started from a built-in preset
  std::string command;                   ///< program name (looked up in PATH) or path; may use ${JIT_TOOLS_DIR}
  /// May use ${WORK_DIR}, ${FOLDER}, ${REPORT_FILE}, ${CHANGED_FILES}, ${JIT_TOOLS_DIR}; an argument that is
  /// exactly ${FILES} becomes one argument per file of `languages` in the folder (for tools that
  /// take files, not folders, like shellcheck).
  std::vector<std::string> args;
  std::string format;                    ///< sarif | gitlab-sast | bandit-json | shellcheck-json1
  /// Where the report is read from: "file" (${REPORT_FILE}, the default when args name it) or "stdout".
  std::string output = "file";
  std::vector<std::string> languages;    ///< run only where files of these are present; empty: always
  std::chrono::seconds timeout{300};
  ExitCodes exit_codes;
  std::vector<std::string> env;          ///< environment variables passed through (allowlist; PATH, HOME, LANG always)
  std::map<std::string, findings::Severity> severity;  ///< the tool's level (any case) -> ours; merged over the format's defaults
  std::string version_args = "--version"; ///< how `jit-agent version` asks the tool its version ("" : do not ask)
  std::string defined_at;                ///< "file:line:col" of its definition, or "preset"
};

/// The input formats external controls can read.
const std::vector<std::string>& tool_formats();

/// Languages `languages:` accepts (python, c, cpp, shell, javascript, typescript, go, ruby, java, ...).
const std::vector<std::string>& tool_languages();

/// The built-in presets, in the order they run: bandit, flawfinder, shellcheck, eslint. Each is
/// `automatic` here; jit.yml turns one off (`bandit: false`), makes it required (`bandit: true` or
/// a mapping), or overrides any key.
const std::vector<ToolSpec>& tool_presets();

/// The preset called `name`, or nullptr.
const ToolSpec* find_preset(std::string_view name);

}  // namespace agent::config
