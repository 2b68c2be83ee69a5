#pragma once
// Dependency findings grouped the way people fix them: one group per vulnerable package, version
// and lockfile, holding its advisories and the one upgrade that fixes them (DependencyDetail's
// fix_version / fix_resolves, computed by the dependency control).
#include <string>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::findings {

struct PackageGroup {
  std::vector<const Finding*> advisories;  ///< most severe first, then by advisory id; never empty
  Severity highest = Severity::unknown;
  std::vector<std::string> still_open;     ///< advisory ids the group's fix_version does not fix (sorted)

  /// The package's details (package, version, ecosystem, lockfile, fix_version...): the first advisory's.
  const DependencyDetail& detail() const { return *advisories.front()->dependency; }
  const Finding& first() const { return *advisories.front(); }
  /// "no fix" (empty fix_version), "fixes all" or "partial" (a fix that leaves `still_open`).
  bool has_fix() const { return !detail().fix_version.empty(); }
};

/// Groups the dependency findings among `list` (others are ignored) by ecosystem, package, version
/// and lockfile. Order: highest severity first, then package name, version, lockfile.
std::vector<PackageGroup> group_dependencies(const std::vector<const Finding*>& list);
std::vector<PackageGroup> group_dependencies(const std::vector<Finding>& list);

/// A stable key of the group a dependency finding belongs to (hex; the same across scans while the
/// package, version and lockfile stay): what an MR thread per package is keyed by.
std::string package_group_key(const DependencyDetail& d);

}  // namespace agent::findings
