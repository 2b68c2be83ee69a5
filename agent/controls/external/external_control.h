#pragma once
// An external control: one scanner described by a config::ToolSpec, run with Boost.Process v2 in
// its own process group once per monorepo folder (in parallel up to ScanInput::jobs), its report
// read into our Findings. A tool that is missing, fails, hangs or writes invalid output never
// throws out of run(): the control is recorded in ScanResult::errored_controls with the reason,
// and whatever the other folders produced is kept.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/tools.h"
#include "agent/controls/control.h"
#include "agent/util/environment.h"

namespace agent::controls::external {

/// What every external control is given besides its spec.
struct ExternalOptions {
  const util::Environment* env = nullptr;   ///< PATH and the allowlisted variables are taken from it
  std::filesystem::path tools_dir;          ///< ${JIT_TOOLS_DIR}: where the image keeps eslint and its config
  std::uint64_t max_report_bytes = 256ull << 20;  ///< a larger report is refused unread
  std::size_t max_capture_bytes = 64u << 10;      ///< stdout/stderr tail kept for the log (stdout reports: see max_report_bytes)
};

/// The executable `spec.command` names (after ${JIT_TOOLS_DIR}), searched in the environment's
/// PATH when it has no '/'; nullopt when there is none.
std::optional<std::filesystem::path> find_tool(const config::ToolSpec& spec, const ExternalOptions& options);

/// The first line `command --version` prints (bounded: 10 s), or "" when it says nothing.
std::string tool_version(const config::ToolSpec& spec, const std::filesystem::path& executable,
                         const ExternalOptions& options);

/// True when `path` (relative, '/'-separated) is a file of `language` by its name; shell scripts
/// without an extension are recognised by `first_line` (a #! line naming sh, bash, dash, ksh).
bool is_language(std::string_view language, std::string_view path, std::string_view first_line = {});

class ExternalControl : public Control {
 public:
  ExternalControl(config::ToolSpec spec, ExternalOptions options);
  std::string_view name() const override { return spec_.name; }
  const config::ToolSpec& spec() const { return spec_; }
  /// Per folder of `input.folders` (or the root): skipped (recorded in skipped_controls) when no
  /// file of the spec's languages is there; else runs the tool and imports its findings. An
  /// `automatic` spec whose tool is not installed is skipped; any other is errored.
  void run(const ScanInput& input, findings::ScanResult& out) override;

 private:
  void run_folders(const ScanInput& input, findings::ScanResult& out);

  config::ToolSpec spec_;
  ExternalOptions options_;
};

}  // namespace agent::controls::external
