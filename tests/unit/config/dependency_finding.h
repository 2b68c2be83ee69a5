#pragma once
// A dependency finding for the ignore and VEX tests: an advisory of a package at a version.
#include <string>
#include <utility>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::config::test {

inline findings::Finding advisory(std::string id, std::string package, std::string version, std::string eco,
                                  std::vector<std::string> aliases = {}) {
  findings::Finding f;
  f.control = "dependencies";
  f.rule_id = id;
  f.path = "go.mod";
  findings::DependencyDetail d;
  d.advisory_id = std::move(id);
  d.package = std::move(package);
  d.version = std::move(version);
  d.ecosystem = std::move(eco);
  d.aliases = std::move(aliases);
  f.dependency = std::move(d);
  return f;
}

}  // namespace agent::config::test
