#include "agent/config/tools.h"

namespace agent::config {
namespace {

using findings::Severity;

std::vector<ToolSpec> make_presets() {
  std::vector<ToolSpec> out;
  {
    ToolSpec t;
    t.name = "bandit";
    t.command = "bandit";
    // -r FOLDER: recursive; bandit exits 1 when it found issues.
    t.args = {"-r", "${FOLDER}", "-f", "json", "-o", "${REPORT_FILE}", "-q"};
    t.format = "bandit-json";
    t.languages = {"python"};
    t.exit_codes = {{0}, {1}, {2}};
    out.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "flawfinder";
    t.command = "flawfinder";
    // SARIF on standard output; --minlevel=1 leaves out level-0 "no risk" notes.
    t.args = {"--sarif", "--minlevel=1", "${FOLDER}"};
    t.format = "sarif";
    t.output = "stdout";
    t.languages = {"c", "cpp"};
    t.exit_codes = {{0}, {}, {}};
    out.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "shellcheck";
    t.command = "shellcheck";
    // shellcheck takes files, not folders: ${FILES} is each shell script of the folder.
    t.args = {"--format=json1", "--external-sources", "${FILES}"};
    t.format = "shellcheck-json1";
    t.output = "stdout";
    t.languages = {"shell"};
    t.exit_codes = {{0}, {1}, {2, 3, 4}};
    t.version_args = "--version";
    out.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "eslint";
    t.command = "${JIT_TOOLS_DIR}/eslint/node_modules/.bin/eslint";
    t.args = {"--config", "${JIT_TOOLS_DIR}/eslint/eslint.config.mjs", "--format",
              "${JIT_TOOLS_DIR}/eslint/node_modules/@microsoft/eslint-formatter-sarif/sarif.js",
              "--output-file", "${REPORT_FILE}", "--no-error-on-unmatched-pattern", "${FOLDER}"};
    t.format = "sarif";
    t.languages = {"javascript", "typescript"};
    t.exit_codes = {{0}, {1}, {2}};
    out.push_back(std::move(t));
  }
  for (auto& t : out) {
    t.automatic = true;
    t.preset = true;
    t.defined_at = "preset";
  }
  return out;
}

}  // namespace

const std::vector<std::string>& tool_formats() {
  static const std::vector<std::string> formats = {"sarif", "gitlab-sast", "bandit-json", "shellcheck-json1"};
  return formats;
}

const std::vector<std::string>& tool_languages() {
  static const std::vector<std::string> languages = {
      "python", "c", "cpp", "shell", "javascript", "typescript", "go", "ruby", "java", "kotlin", "php",
      "csharp", "rust", "scala", "swift", "terraform", "dockerfile", "yaml", "kubernetes"};
  return languages;
}

const std::vector<ToolSpec>& tool_presets() {
  static const std::vector<ToolSpec> presets = make_presets();
  return presets;
}

const ToolSpec* find_preset(std::string_view name) {
  for (const auto& t : tool_presets())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace agent::config
