#pragma once
// osv-scanner's configuration file (osv-scanner.toml), read as ignores for teams moving from
// OSV-Scanner: [[IgnoredVulns]] (id, ignoreUntil, reason) and [[PackageOverrides]] that ignore a
// package (name, version, ecosystem, ignore or vulnerability.ignore, effectiveUntil, reason).
// License overrides are accepted and have no effect here; any other key is an error, as in
// OSV-Scanner since 1.9.
#include <string>
#include <string_view>

#include "agent/config/ignores.h"

namespace agent::config {

/// Parses osv-scanner.toml into ignore entries (reason accepted_risk, its `reason` as the comment,
/// its date as the expiry). Throws util::UsageError "file:line: ..." naming every problem found first.
Ignores parse_osv_scanner_config(std::string_view toml, const std::string& file);

/// True when `path` names an osv-scanner configuration (a .toml file) rather than an ignores.yml.
bool is_osv_scanner_config(std::string_view path);

}  // namespace agent::config
