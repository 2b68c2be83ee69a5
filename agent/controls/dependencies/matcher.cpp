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
      list.push_back({std::move(sa.advisory_id), sa.affected.severity, prepare(sa.affected)});
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
    findings::Severity label = findings::Severity::unknown;
    for (const Hit* h : members) {
      ids.insert(h->id);
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
        label = std::max(label, severity_from_label(a->database_severity));
      }
      for (const auto& s : sev) {
        if (s.type == "Ubuntu") label = std::max(label, severity_from_label(s.score));
        auto score = cvss_base_score(s.score);
        if (score && (!v.cvss_score || *score > *v.cvss_score)) {
          v.cvss_score = score;
          v.cvss_vector = s.score;
        }
      }
    }
    ids.erase(v.id);
    v.aliases.assign(ids.begin(), ids.end());
    v.references.assign(refs.begin(), refs.end());
    v.cwes.assign(cwes.begin(), cwes.end());
    v.severity = v.cvss_score ? severity_for_score(*v.cvss_score) : label;
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

}  // namespace agent::controls::dependencies
