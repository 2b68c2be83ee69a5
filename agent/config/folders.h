#pragma once
// Jit's monorepo folders (`folders: [{path: /service-a, exclude: ["**/testdata/**"]}]` in
// .jit/jit-config.yml), merged with the organisation-level file: for the same `path` the
// repository's entry wins. Each folder is its own project for dependency scanning.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/config.h"

namespace agent::config {

struct Folder {
  std::string path;                  ///< "/service-a" (leading '/', no trailing one); "/" is the root
  std::vector<std::string> exclude;  ///< globs, relative to the folder (util::glob_match rules)
  std::string file;                  ///< where the entry came from
  int line = 0;
};

struct FoldersConfig {
  std::vector<Folder> folders;       ///< sorted by path; empty: no monorepo configuration
  bool configured() const { return !folders.empty(); }
};

/// Validates and merges `folders:` lists, lowest precedence first (the organisation's file, then
/// the repository's). Errors read "file:line:col: message". Throws util::UsageError.
FoldersConfig merge_folders(const std::vector<FoldersSource>& sources);

/// The `folders:` list of one YAML document (other keys ignored). Throws util::UsageError.
FoldersConfig parse_folders(std::string_view yaml_text, const std::string& file);

/// Reads the organisation-level file and the repository's .jit/jit-config.yml (either may be
/// absent: nullopt, or a path that does not exist for the repository's) and merges them.
FoldersConfig load_folders(const std::optional<std::filesystem::path>& org_file,
                           const std::filesystem::path& repository_root);

/// "service-a/" -> "/service-a"; nullopt for paths leaving the repository ("..") or empty ones.
std::optional<std::string> normalize_folder_path(std::string_view path);

/// The deepest folder holding the repository-relative `path`, or nullptr.
const Folder* folder_for(const FoldersConfig& config, std::string_view path);

/// True when one of the folder's exclude globs matches `path` (repository-relative); globs are
/// taken relative to the folder (a leading '/' anchors at the folder, not the repository).
bool excluded_in(const Folder& folder, std::string_view path);

}  // namespace agent::config
