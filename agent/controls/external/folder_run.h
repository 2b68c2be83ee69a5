#pragma once
// One run of an external control in one folder (the control's runner): the variables, the
// tool's process, its report read, parsed and converted. external_control.cpp decides what runs
// where; this file never throws for a tool's behaviour.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/external/external_control.h"
#include "agent/util/redact.h"

namespace agent::controls::external {

/// PATH for the tool when the environment has none.
inline constexpr std::string_view default_tool_path = "/usr/local/bin:/usr/bin:/bin";

/// What one folder's run produced.
struct FolderOutcome {
  std::vector<findings::Finding> findings;  ///< converted, not yet deduplicated or fingerprinted
  std::vector<std::string> warnings;
  std::optional<std::string> error;         ///< why the control errored here (one line, redacted)
};

/// `name` from the options' environment, "" when unset.
std::string env_value(const ExternalOptions& options, std::string_view name);

/// The child's whole environment ("NAME=value"): PATH, HOME, LANG, LC_ALL, TMPDIR and the spec's
/// `env` allowlist, nothing else (our tokens reach a tool only when its spec names them).
std::vector<std::string> child_env(const config::ToolSpec& spec, const ExternalOptions& options);

/// `files` split so that no run's argv passes `max_bytes` (well below ARG_MAX): one run per batch
/// when the spec takes ${FILES}; a single empty batch when it does not.
std::vector<std::vector<std::string>> file_batches(const std::vector<std::string>& files, bool takes_files,
                                                  std::size_t max_bytes = 512u << 10);

/// Runs `executable` for `spec` in `folder` ("" = the root) over `files` (for ${FILES}).
FolderOutcome run_folder(const config::ToolSpec& spec, const ExternalOptions& options, const ScanInput& input,
                         const std::filesystem::path& executable, const util::Redactor& redactor,
                         const std::string& folder, const std::vector<const FileEntry*>& files);

}  // namespace agent::controls::external
