#pragma once
// The Control interface: one implementation per folder under agent/controls/.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/util/file_entry.h"

namespace agent::controls {

/// One regular file selected for scanning (a util type: checkout lists them).
using FileEntry = util::FileEntry;

/// What every control is given.
struct ScanInput {
  std::filesystem::path root;
  std::vector<FileEntry> files;   ///< sorted by path
  unsigned jobs = 1;              ///< worker threads the control may use
  std::uint64_t max_file_size = 10ull << 20;
  std::string commit_sha;         ///< HEAD of the checkout, when it is one
  /// Monorepo folders to scan, relative to `root` ('/'-separated, no leading '/'); empty: the
  /// root as one folder. External controls run once per folder; built-in ones ignore it.
  std::vector<std::string> folders;
  /// A file listing the merge request's changed files (one path per line, relative to `root`),
  /// for tools given ${CHANGED_FILES}; empty when the scan is not of a merge request.
  std::filesystem::path changed_files;
};

class Control {
 public:
  virtual ~Control() = default;
  /// Stable name used in --controls, reports and the MR summary ("secrets", "dependencies").
  virtual std::string_view name() const = 0;
  /// Scans `input`, appending findings, counters and warnings to `out`.
  virtual void run(const ScanInput& input, findings::ScanResult& out) = 0;
};

}  // namespace agent::controls
