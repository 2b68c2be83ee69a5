#pragma once
// A tool's parsed findings -> ours: paths confined to the checkout, the spec's severity
// overrides, terminal-safe text, snippets from the checkout, dedup and line-move-proof fingerprints.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::controls::external {

struct ConvertContext {
  std::filesystem::path root;                          ///< the scan root
  std::string control;                                 ///< spec.name
  std::map<std::string, findings::Severity> severity;  ///< spec.severity (keys any case)
  std::string tool_version;                            ///< used when the report gives none
  std::uint64_t max_file_size = 10ull << 20;           ///< larger files give no snippet
  std::string commit;
};

struct Converted {
  std::vector<findings::Finding> findings;
  std::size_t dropped = 0;  ///< findings whose path is outside the root (or none)
};

/// `reported` (absolute, or relative to the root) as a normalised '/'-separated path relative to
/// `root`; nullopt when it is outside the root, escapes it with "..", or resolves (through
/// symlinks) outside it.
std::optional<std::string> confine(const std::filesystem::path& root, std::string_view reported);

/// The line as a snippet: trimmed, control characters removed, at most ~200 bytes (UTF-8 safe).
std::string make_snippet(std::string_view line);

/// Converts one folder's parsed findings (see ConvertContext).
Converted convert(std::vector<findings::Finding> raw, const ConvertContext& context);

/// Drops findings the tool reported twice, then sets each fingerprint: SHA-256 of control +
/// rule + path + whitespace-collapsed snippet + the occurrence index among identical
/// (rule, path, snippet) findings, so a finding keeps it when lines move.
void dedup_and_fingerprint(std::vector<findings::Finding>& findings, std::string_view control);

}  // namespace agent::controls::external
