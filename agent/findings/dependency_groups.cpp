#include "agent/findings/dependency_groups.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "agent/util/hash.h"

namespace agent::findings {

std::string package_group_key(const DependencyDetail& d) {
  std::string key;
  for (const std::string* part : {&d.ecosystem, &d.package, &d.version, &d.lockfile}) {
    key += *part;
    key += '\0';  // no two splits of the same bytes give one key
  }
  return util::sha256_hex(key);
}

std::vector<PackageGroup> group_dependencies(const std::vector<const Finding*>& list) {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, PackageGroup> groups;
  for (const Finding* f : list) {
    if (!f || !f->dependency) continue;
    const DependencyDetail& d = *f->dependency;
    PackageGroup& g = groups[Key{d.ecosystem, d.package, d.version, d.lockfile}];
    g.advisories.push_back(f);
    g.highest = std::max(g.highest, f->severity);
  }
  std::vector<PackageGroup> out;
  out.reserve(groups.size());
  for (auto& [key, g] : groups) {
    std::sort(g.advisories.begin(), g.advisories.end(), [](const Finding* a, const Finding* b) {
      if (a->severity != b->severity) return a->severity > b->severity;
      return a->dependency->advisory_id < b->dependency->advisory_id;
    });
    const DependencyDetail& d = g.detail();
    if (!d.fix_version.empty()) {
      for (const Finding* f : g.advisories) {
        const std::string& id = f->dependency->advisory_id;
        if (!std::binary_search(d.fix_resolves.begin(), d.fix_resolves.end(), id)) g.still_open.push_back(id);
      }
      std::sort(g.still_open.begin(), g.still_open.end());
    }
    out.push_back(std::move(g));
  }
  std::stable_sort(out.begin(), out.end(), [](const PackageGroup& a, const PackageGroup& b) {
    if (a.highest != b.highest) return a.highest > b.highest;
    const DependencyDetail& x = a.detail();
    const DependencyDetail& y = b.detail();
    return std::tie(x.package, x.version, x.lockfile, x.ecosystem) < std::tie(y.package, y.version, y.lockfile, y.ecosystem);
  });
  return out;
}

std::vector<PackageGroup> group_dependencies(const std::vector<Finding>& list) {
  std::vector<const Finding*> pointers;
  pointers.reserve(list.size());
  for (const Finding& f : list) pointers.push_back(&f);
  return group_dependencies(pointers);
}

}  // namespace agent::findings
