#include "agent/controls/dependencies/matcher.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

#include "agent/controls/dependencies/cvss.h"

namespace agent::controls::dependencies {
namespace {

using Kind = OsvEvent::Kind;

bool is_zero_introduced(const OsvEvent& e) { return e.kind == Kind::introduced && e.version == "0"; }

struct ParsedEvent {
  Kind kind;
  bool zero;  // introduced "0": before every version
  Version version;
};

std::vector<ParsedEvent> sorted_events(const OsvRange& range, Scheme scheme) {
  std::vector<ParsedEvent> out;
  for (const auto& e : range.events) {
    if (e.kind == Kind::limit) continue;
    out.push_back({e.kind, is_zero_introduced(e), Version::parse(scheme, e.version)});
  }
  std::stable_sort(out.begin(), out.end(), [](const ParsedEvent& a, const ParsedEvent& b) {
    if (a.zero || b.zero) return a.zero && !b.zero;
    return a.version.compare(b.version) < 0;
  });
  return out;
}

int id_rank(std::string_view id) {
  // The ecosystem's own database first (GO-, PYSEC-, RUSTSEC-...), then GitHub's, then CVE.
  if (id.starts_with("CVE-")) return 2;
  if (id.starts_with("GHSA-")) return 1;
  return 0;
}

// Union-find over advisory ids and their aliases.
class Groups {
 public:
  std::string find(const std::string& x) {
    auto it = parent_.find(x);
    if (it == parent_.end()) {
      parent_[x] = x;
      return x;
    }
    if (it->second == x) return x;
    std::string root = find(it->second);
    parent_[x] = root;
    return root;
  }
  void unite(const std::string& a, const std::string& b) {
    std::string ra = find(a), rb = find(b);
    if (ra != rb) parent_[std::max(ra, rb)] = std::min(ra, rb);
  }

 private:
  std::map<std::string, std::string> parent_;
};

struct Hit {
  std::string id;
  std::optional<std::string> fix;
  std::vector<OsvSeverity> package_severity;
  std::vector<std::string> labels;  // the affected entries' ecosystem_specific / database_specific levels
};

// CVSS versions in the order the chain prefers them (the newest standard first).
int cvss_rank(std::string_view type) {
  if (type == "CVSS_V4") return 3;
  if (type == "CVSS_V3") return 2;
  if (type == "CVSS_V2") return 1;
  return 0;
}

std::string cvss_source(int rank) { return rank == 3 ? "cvss_v4" : rank == 2 ? "cvss_v3" : "cvss_v2"; }

// The best CVSS vector of a list: the newest version present, the highest score within it.
struct CvssPick {
  int rank = 0;
  double score = 0;
  std::string vector;
  findings::Severity severity() const { return rank == 1 ? severity_for_v2_score(score) : severity_for_score(score); }
  void offer(const OsvSeverity& s) {
    const int r = cvss_rank(s.type);
    if (r == 0) return;
    auto sc = r == 1 ? cvss2_base_score(s.score) : cvss_base_score(s.score);
    if (!sc) return;
    if (r > rank || (r == rank && *sc > score)) {
      rank = r;
      score = *sc;
      vector = s.score;
    }
  }
};

struct PreparedRange {
  Scheme scheme;
  std::vector<ParsedEvent> events;  // sorted, limits excluded
  std::vector<Version> limits;
  bool unlimited = true;            // no limit event, or a "*" one
};

// An affected entry parsed once: a package recurs across lockfiles, and PyPI entries list
// hundreds of versions.
struct PreparedEntry {
  Scheme eco;
  std::vector<std::string> version_texts;
  std::vector<Version> versions;
  std::vector<PreparedRange> ranges;
};

PreparedEntry prepare(const OsvAffected& a) {
  PreparedEntry p;
  p.eco = scheme_for_ecosystem(a.ecosystem);
  p.version_texts = a.versions;
  p.versions.reserve(a.versions.size());
  for (const auto& v : a.versions) p.versions.push_back(Version::parse(p.eco, v));
  for (const auto& r : a.ranges) {
    PreparedRange pr;
    pr.scheme = r.type == OsvRange::Type::semver ? Scheme::semver : p.eco;
    pr.events = sorted_events(r, pr.scheme);
    bool any_limit = false, star = false;
    for (const auto& e : r.events) {
      if (e.kind != Kind::limit) continue;
      any_limit = true;
      if (e.version.find('*') != std::string::npos) star = true;
      else pr.limits.push_back(Version::parse(pr.scheme, e.version));
    }
    pr.unlimited = !any_limit || star;
    p.ranges.push_back(std::move(pr));
  }
  return p;
}

// The installed version parsed under each scheme it is compared with.
class Installed {
 public:
  explicit Installed(std::string_view text) : text_(text) {}
  const std::string& text() const { return text_; }
  const Version& as(Scheme s) {
    for (const auto& v : parsed_) {
      if (v.scheme() == s) return v;
    }
    parsed_.push_back(Version::parse(s, text_));
    return parsed_.back();
  }

 private:
  std::string text_;
  std::deque<Version> parsed_;  // a deque: references handed out stay valid as it grows
};

bool prepared_in_range(const PreparedRange& r, const Version& v) {
  if (!r.unlimited) {
    bool below = false;
    for (const auto& l : r.limits) below |= v.compare(l) < 0;
    if (!below) return false;
  }
  bool vulnerable = false;
  for (const auto& e : r.events) {
    if (e.kind == Kind::introduced) {
      if (e.zero || v.compare(e.version) >= 0) vulnerable = true;
    } else if (e.kind == Kind::fixed) {
      if (v.compare(e.version) >= 0) vulnerable = false;
    } else if (e.kind == Kind::last_affected) {
      if (v.compare(e.version) > 0) vulnerable = false;
    }
  }
  return vulnerable;
}

bool prepared_affects(const PreparedEntry& p, Installed& installed) {
  const Version& v = installed.as(p.eco);
  for (std::size_t i = 0; i < p.versions.size(); ++i) {
    if (p.version_texts[i] == installed.text() || v.compare(p.versions[i]) == 0) return true;
  }
  for (const auto& r : p.ranges) {
    if (prepared_in_range(r, installed.as(r.scheme))) return true;
  }
  return false;
}

std::optional<std::string> prepared_fix(const PreparedEntry& p, Installed& installed) {
  const Version* best = nullptr;
  for (const auto& r : p.ranges) {
    const Version& v = installed.as(r.scheme);
    for (const auto& e : r.events) {
      if (e.kind != Kind::fixed || e.version.compare(v) <= 0) continue;
      if (!best || best->scheme() != r.scheme || e.version.compare(*best) < 0) best = &e.version;
    }
  }
  if (!best) return std::nullopt;
  return best->text();
}

}  // namespace

struct Matcher::Prepared {
  std::string advisory_id;
  std::vector<OsvSeverity> severity;
  std::string label;
  PreparedEntry entry;
};

Matcher::Matcher(const OsvDatabase& db) : db_(db) {}
Matcher::~Matcher() = default;

bool is_affected(const OsvAffected& affected, std::string_view installed) {
  Installed v(installed);
  return prepared_affects(prepare(affected), v);
}

std::optional<std::string> smallest_fix_above(const OsvAffected& affected, std::string_view installed) {
  Installed v(installed);
  return prepared_fix(prepare(affected), v);
}

findings::Severity severity_from_label(std::string_view label) {
  std::string l;
  for (char c : label) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "critical") return findings::Severity::critical;
  if (l == "high") return findings::Severity::high;
  if (l == "moderate" || l == "medium") return findings::Severity::medium;
  if (l == "low") return findings::Severity::low;
  if (l == "negligible") return findings::Severity::info;
  return findings::Severity::unknown;
}

const std::vector<Matcher::Prepared>& Matcher::entries(const std::string& ecosystem, const std::string& name) {
  auto key = std::make_pair(ecosystem, name);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    std::vector<Prepared> list;
    for (StoredAffected& sa : db_.lookup(ecosystem, name)) {
      list.push_back({std::move(sa.advisory_id), sa.affected.severity, sa.affected.label, prepare(sa.affected)});
    }
    it = entries_.emplace(key, std::move(list)).first;
  }
  return it->second;
}

const AdvisoryInfo* Matcher::info(const std::string& id) {
  auto it = infos_.find(id);
  if (it == infos_.end()) it = infos_.emplace(id, db_.advisory(id)).first;
  return it->second ? &*it->second : nullptr;
}

std::vector<Vulnerability> Matcher::match(const Package& pkg) {
  std::map<std::string, Hit> hits;  // by advisory id
  Installed installed(pkg.version);
  for (const Prepared& p : entries(pkg.ecosystem, pkg.name)) {
    if (!prepared_affects(p.entry, installed)) continue;
    Hit& h = hits[p.advisory_id];
    h.id = p.advisory_id;
    if (auto fix = prepared_fix(p.entry, installed)) {
      if (!h.fix || compare_versions(p.entry.eco, *fix, *h.fix) < 0) h.fix = fix;
    }
    h.package_severity.insert(h.package_severity.end(), p.severity.begin(), p.severity.end());
    if (!p.label.empty()) h.labels.push_back(p.label);
  }
  if (hits.empty()) return {};

  Groups groups;
  for (const auto& [id, hit] : hits) {
    groups.find(id);
    if (const AdvisoryInfo* a = info(id)) {
      for (const auto& alias : a->aliases) groups.unite(id, alias);
    }
  }
  std::map<std::string, std::vector<const Hit*>> by_group;
  for (const auto& [id, hit] : hits) by_group[groups.find(id)].push_back(&hit);

  Scheme scheme = scheme_for_ecosystem(pkg.ecosystem);
  std::vector<Vulnerability> out;
  for (auto& [root, members] : by_group) {
    std::sort(members.begin(), members.end(), [](const Hit* a, const Hit* b) {
      int ra = id_rank(a->id), rb = id_rank(b->id);
      return ra != rb ? ra < rb : a->id < b->id;
    });
    Vulnerability v;
    v.id = members.front()->id;
    std::set<std::string> ids, refs, cwes;
    findings::Severity label = findings::Severity::unknown, eco_label = findings::Severity::unknown;
    std::string label_record, eco_record;
    CvssPick cvss;
    std::string cvss_record;
    for (const Hit* h : members) {
      ids.insert(h->id);
      v.members.push_back(h->id);
      for (const auto& l : h->labels) {
        if (auto s = severity_from_label(l); s > eco_label) {
          eco_label = s;
          eco_record = h->id;
        }
      }
      // The fix every source agrees on: the highest of each advisory's smallest fix.
      if (h->fix && (v.fixed_version.empty() || compare_versions(scheme, *h->fix, v.fixed_version) > 0)) {
        v.fixed_version = *h->fix;
      }
      const AdvisoryInfo* a = info(h->id);
      std::vector<OsvSeverity> sev = h->package_severity;
      if (a) {
        ids.insert(a->aliases.begin(), a->aliases.end());
        refs.insert(a->references.begin(), a->references.end());
        cwes.insert(a->cwes.begin(), a->cwes.end());
        if (v.summary.empty()) v.summary = a->summary;
        if (v.details.empty()) v.details = a->details;
        sev.insert(sev.end(), a->severity.begin(), a->severity.end());
        if (auto s = severity_from_label(a->database_severity); s > label) {
          label = s;
          label_record = h->id;
        }
      }
      for (const auto& s : sev) {
        if (s.type == "Ubuntu") {
          if (auto l = severity_from_label(s.score); l > label) {
            label = l;
            label_record = h->id;
          }
        }
        const int before = cvss.rank;
        const double score = cvss.score;
        cvss.offer(s);
        if (cvss.rank != before || cvss.score != score) cvss_record = h->id;
      }
    }
    // The chain: the records' own CVSS vectors, their database's level, the affected entries'
    // level, then the other records of the same vulnerability in the database (aliases in both
    // directions), else unknown.
    if (cvss.rank > 0) {
      v.cvss_score = cvss.score;
      v.cvss_vector = cvss.vector;
      v.severity = cvss.severity();
      v.severity_source = cvss_source(cvss.rank);
      v.severity_record = cvss_record;
    } else if (label != findings::Severity::unknown) {
      v.severity = label;
      v.severity_source = "database";
      v.severity_record = label_record;
    } else if (eco_label != findings::Severity::unknown) {
      v.severity = eco_label;
      v.severity_source = "ecosystem";
      v.severity_record = eco_record;
    } else {
      alias_severity(ids, v);
    }
    if (base_ecosystem(pkg.ecosystem) == "Go") v.fixed_version = spelled_like(pkg.version, v.fixed_version);
    ids.erase(v.id);
    v.aliases.assign(ids.begin(), ids.end());
    v.references.assign(refs.begin(), refs.end());
    v.cwes.assign(cwes.begin(), cwes.end());
    std::sort(v.members.begin(), v.members.end());
    if (v.summary.empty() && !v.details.empty()) {
      v.summary = v.details.substr(0, v.details.find('\n'));
      if (v.summary.size() > 200) {
        std::size_t cut = 197;  // never split a UTF-8 sequence
        while (cut > 0 && (static_cast<unsigned char>(v.summary[cut]) & 0xC0) == 0x80) --cut;
        v.summary = v.summary.substr(0, cut) + "...";
      }
    }
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const Vulnerability& a, const Vulnerability& b) { return a.id < b.id; });
  return out;
}

void Matcher::alias_severity(const std::set<std::string>& ids, Vulnerability& v) {
  // The same vulnerability recurs across lockfiles and packages: answered once per set of ids.
  std::string key;
  for (const auto& id : ids) key += id + '\n';
  key += '\t';
  for (const auto& m : v.members) key += m + '\n';
  if (auto it = alias_levels_.find(key); it != alias_levels_.end()) {
    const Vulnerability& known = it->second;
    if (known.severity_source == "alias") {
      v.severity = known.severity;
      v.severity_source = known.severity_source;
      v.severity_record = known.severity_record;
      v.cvss_score = known.cvss_score;
      v.cvss_vector = known.cvss_vector;
    }
    return;
  }
  compute_alias_severity(ids, v);
  Vulnerability& stored = alias_levels_[key];
  stored.severity = v.severity;
  stored.severity_source = v.severity_source;
  stored.severity_record = v.severity_record;
  stored.cvss_score = v.cvss_score;
  stored.cvss_vector = v.cvss_vector;
}

void Matcher::compute_alias_severity(const std::set<std::string>& ids, Vulnerability& v) {
  // Every other record of the vulnerability the database holds: the ids the matched records name
  // (a GO- or PYSEC- record lists its CVE and GHSA), and the records that name one of those ids.
  std::set<std::string> others;
  for (const auto& id : ids) {
    others.insert(id);
    for (auto& r : db_.records_aliasing(id)) others.insert(std::move(r));
  }
  for (const auto& m : v.members) others.erase(m);
  findings::Severity best = findings::Severity::unknown;
  for (const auto& id : others) {
    const AdvisoryInfo* a = info(id);
    if (!a || !a->withdrawn.empty()) continue;
    CvssPick cvss;
    findings::Severity label = severity_from_label(a->database_severity);
    for (const auto& s : a->severity) {
      cvss.offer(s);
      if (s.type == "Ubuntu") label = std::max(label, severity_from_label(s.score));
    }
    const findings::Severity level = cvss.rank > 0 ? cvss.severity() : label;
    if (level > best) {
      best = level;
      v.severity = level;
      v.severity_source = "alias";
      v.severity_record = id;
      v.cvss_score.reset();
      v.cvss_vector.clear();
      if (cvss.rank > 0) {
        v.cvss_score = cvss.score;
        v.cvss_vector = cvss.vector;
      }
    }
  }
}

std::string spelled_like(std::string_view installed, std::string version) {
  // Go's OSV records write SEMVER events without the "v" every Go version has: answer in Go's spelling.
  if (installed.starts_with('v') && !version.empty() && version.front() >= '0' && version.front() <= '9')
    return "v" + version;
  return version;
}

PackageFix Matcher::best_fix(const Package& pkg, const std::vector<Vulnerability>& vulns) {
  PackageFix out;
  if (vulns.empty()) return out;
  const Scheme scheme = scheme_for_ecosystem(pkg.ecosystem);
  Installed installed(pkg.version);
  const Version& current = installed.as(scheme);
  // Which vulnerability each matched advisory id belongs to.
  std::map<std::string, std::size_t> owner;
  for (std::size_t i = 0; i < vulns.size(); ++i)
    for (const auto& m : vulns[i].members) owner[m] = i;
  std::vector<std::pair<std::size_t, const Prepared*>> relevant;
  // The fixed events, parsed once already; a SEMVER range of another ecosystem is parsed again
  // under the ecosystem's ordering (kept in `reparsed`, whose elements never move).
  std::deque<Version> reparsed;
  std::vector<const Version*> candidates;
  for (const Prepared& p : entries(pkg.ecosystem, pkg.name)) {
    auto it = owner.find(p.advisory_id);
    if (it == owner.end()) continue;
    relevant.emplace_back(it->second, &p);
    for (const auto& r : p.entry.ranges)
      for (const auto& e : r.events) {
        if (e.kind != Kind::fixed) continue;
        const Version* c = &e.version;
        if (r.scheme != scheme) c = &reparsed.emplace_back(Version::parse(scheme, e.version.text()));
        if (c->compare(current) > 0) candidates.push_back(c);
      }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Version* a, const Version* b) { return a->compare(*b) < 0; });
  candidates.erase(std::unique(candidates.begin(), candidates.end(),
                               [](const Version* a, const Version* b) { return a->compare(*b) == 0; }),
                   candidates.end());
  // Score of a candidate: how many it fixes of each severity, most severe first; the smallest
  // candidate wins ties (candidates are visited in ascending order).
  std::vector<int> best_score;
  std::vector<bool> best_fixed;
  for (const Version* candidate : candidates) {
    const Version& c = *candidate;
    Installed at(c.text());
    std::vector<bool> fixed(vulns.size(), true);
    for (const auto& [index, p] : relevant)
      if (fixed[index] && prepared_affects(p->entry, at)) fixed[index] = false;
    std::vector<int> score(6, 0);
    int total = 0;
    for (std::size_t i = 0; i < vulns.size(); ++i)
      if (fixed[i]) {
        ++score[5 - static_cast<int>(vulns[i].severity)];
        ++total;
      }
    score.insert(score.begin(), total);
    if (total == 0 || (!best_score.empty() && score <= best_score)) continue;
    best_score = score;
    best_fixed = fixed;
    out.version = base_ecosystem(pkg.ecosystem) == "Go" ? spelled_like(pkg.version, c.text()) : c.text();
    if (total == static_cast<int>(vulns.size())) break;  // fixes all: nothing smaller did
  }
  for (std::size_t i = 0; i < best_fixed.size(); ++i)
    if (best_fixed[i]) out.resolves.push_back(vulns[i].id);
  std::sort(out.resolves.begin(), out.resolves.end());
  return out;
}

}  // namespace agent::controls::dependencies
