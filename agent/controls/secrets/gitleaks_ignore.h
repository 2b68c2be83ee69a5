#pragma once
// `.gitleaksignore`: gitleaks' fingerprint lines, honoured by `scan` so a team migrating from
// gitleaks keeps its ignores.
//
// A line is `path:rule:line` or `commit:path:rule:line` (gitleaks' fingerprint); `#` starts a
// comment. It matches a secret finding with that rule id, path (relative to the scan root; a
// leading `./` is ignored) and start line; with a commit, only a finding seen in that commit (a
// prefix of at least 7 hex digits matches). The rule is compared with our rule id: imported packs
// keep gitleaks' ids, the built-in packs mostly use the same names.
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::controls::secrets {

struct GitleaksIgnoreEntry {
  std::string commit;  ///< empty: any commit
  std::string path;
  std::string rule;
  int line = 0;
};

/// Parses the file's text; malformed lines are skipped and named in `warnings` ("file:line: ...").
std::vector<GitleaksIgnoreEntry> parse_gitleaks_ignore(std::string_view text, const std::string& file,
                                                       std::vector<std::string>& warnings);

/// Removes the secret findings an entry matches; returns how many were removed.
std::size_t apply_gitleaks_ignore(const std::vector<GitleaksIgnoreEntry>& entries,
                                  std::vector<findings::Finding>& findings);

}  // namespace agent::controls::secrets
