#pragma once
// OSV evaluation (osv-schema-spec.md "Evaluation"): is a package version affected, by which
// advisories (aliases merged into one), and which version fixes it.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/dependencies/osv_db.h"
#include "agent/controls/dependencies/package.h"
#include "agent/controls/dependencies/version.h"
#include "agent/findings/finding.h"

namespace agent::controls::dependencies {

/// One vulnerability of one package: advisories that alias each other merged.
struct Vulnerability {
  std::string id;                        ///< primary advisory id (one that is in the database)
  std::vector<std::string> aliases;      ///< every other id of the group (CVE, GHSA, ...), sorted
  std::string summary;
  std::string details;
  std::optional<double> cvss_score;      ///< highest base score computed from the group's vectors
  std::string cvss_vector;
  findings::Severity severity = findings::Severity::unknown;
  std::string severity_source = "none";  ///< see findings::DependencyDetail::severity_source
  std::string severity_record;           ///< the record the level was read from
  std::vector<std::string> members;      ///< the matched advisory ids merged into this one (sorted)
  std::string fixed_version;             ///< smallest fixed version above the installed one; "" = no fix yet
  std::vector<std::string> references;
  std::vector<std::string> cwes;
};

/// True when `installed` lies in one of the entry's ranges or equals one of its versions
/// (SEMVER ranges are compared as SemVer, ECOSYSTEM ones with the ecosystem's ordering).
bool is_affected(const OsvAffected& affected, std::string_view installed);

/// The smallest "fixed" event above `installed` among the entry's ranges; nullopt when none.
std::optional<std::string> smallest_fix_above(const OsvAffected& affected, std::string_view installed);

/// The severity a database spells in database_specific.severity or an Ubuntu priority
/// ("CRITICAL", "HIGH", "MODERATE", "MEDIUM", "LOW", any case); unknown otherwise.
findings::Severity severity_from_label(std::string_view label);

/// The one upgrade for a package with several vulnerabilities (Matcher::best_fix).
struct PackageFix {
  std::string version;                   ///< empty: no version above the installed one fixes any
  std::vector<std::string> resolves;     ///< Vulnerability::id of each one `version` fixes (sorted)
};

/// `version` as the ecosystem spells it beside `installed`: Go's OSV records write versions without
/// the "v" of Go's module versions ("1.6.0" for "v1.6.0"), so one is added when `installed` has it.
std::string spelled_like(std::string_view installed, std::string version);

/// Matches packages against an index, caching look-ups (the same package recurs across lockfiles).
class Matcher {
 public:
  explicit Matcher(const OsvDatabase& db);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;
  /// Every vulnerability affecting `pkg`, sorted by id; withdrawn advisories never appear.
  std::vector<Vulnerability> match(const Package& pkg);
  /// The smallest version above `pkg.version` that no advisory of `vulns` (match()'s result for
  /// `pkg`) affects; when none fixes all, the one that fixes the most (the most severe first, then
  /// the smallest). Candidates are the advisories' own "fixed" versions.
  PackageFix best_fix(const Package& pkg, const std::vector<Vulnerability>& vulns);

 private:
  struct Prepared;  // an affected entry with its versions parsed and events sorted, once
  const std::vector<Prepared>& entries(const std::string& ecosystem, const std::string& name);
  const AdvisoryInfo* info(const std::string& id);
  void alias_severity(const std::set<std::string>& ids, Vulnerability& v);
  void compute_alias_severity(const std::set<std::string>& ids, Vulnerability& v);

  const OsvDatabase& db_;
  std::map<std::pair<std::string, std::string>, std::vector<Prepared>> entries_;
  std::map<std::string, std::optional<AdvisoryInfo>> infos_;
  std::map<std::string, Vulnerability> alias_levels_;  ///< alias_severity's answers, by ids and members
};

}  // namespace agent::controls::dependencies
