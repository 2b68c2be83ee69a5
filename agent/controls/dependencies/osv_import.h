#pragma once
// Feeding OSV records into an index: single JSON files, folders of them, and OSV's per-ecosystem
// all.zip exports. A bad record is skipped with a warning; the import goes on.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/dependencies/osv_db.h"

namespace agent::controls::dependencies {

struct ImportStats {
  std::size_t files = 0;      ///< JSON documents read (files or zip entries)
  std::size_t records = 0;    ///< records added
  std::size_t skipped = 0;    ///< records rejected
  std::vector<std::string> warnings;
};

/// Imports a .json file (one record, an array of records, or {"vulns": [...]}), a folder
/// (every *.json below it) or a .zip export. Throws RuntimeError when `path` cannot be read.
void import_path(OsvDbWriter& writer, const std::filesystem::path& path, std::string_view origin,
                 ImportStats& stats);

/// Imports every *.json entry of a zip archive.
void import_zip(OsvDbWriter& writer, const std::filesystem::path& zip, std::string_view origin,
                ImportStats& stats);

/// Imports one JSON document's text; `source` names it in warnings.
void import_json_text(OsvDbWriter& writer, std::string_view text, const std::string& source,
                      std::string_view origin, ImportStats& stats);

}  // namespace agent::controls::dependencies
