// CycloneDX 1.5 JSON: an SBOM per lockfile (GitLab's `cyclonedx` report) and a whole-scan
// document of the vulnerable components. Deterministic: the same input gives the same bytes.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "agent/report/common.h"
#include "agent/report/dependency_reports.h"
#include "agent/report/time_format.h"
#include "agent/util/hash.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Each '/'-separated part encoded on its own: namespaces keep their slashes.
std::string encode_path(std::string_view s) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    auto slash = s.find('/', start);
    out += percent_encode(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    out += '/';
    start = slash + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Qualifier values keep ':' and '/' (as the purl spec's examples write URLs); the rest is encoded.
std::string encode_qualifier(std::string_view s) {
  std::string out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto sep = s.find_first_of(":/", start);
    out += percent_encode(s.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
    if (sep == std::string_view::npos) break;
    out += s[sep];
    start = sep + 1;
  }
  return out;
}

// The purl spec's vcs_url: "<vcs_tool>+<transport>://host/path[@revision]"; ours is "URL[#commit]".
std::string vcs_url(std::string_view source) {
  std::string url(source);
  if (auto hash = url.rfind('#'); hash != std::string::npos) url[hash] = '@';
  if (!url.starts_with("git+") && !url.starts_with("git://")) url = "git+" + url;
  return url;
}

struct Component {
  std::string purl;
  std::string name;
  std::string version;
  std::string ecosystem;
  bool direct = false;
  bool direct_known = false;
  std::string source_kind;
  std::string source;
  std::string requirement;
  /// Unique in the document: the purl, or for a local path (no purl qualifier says where) the
  /// purl and the path.
  std::string ref() const { return source_kind == "path" ? purl + "#path:" + source : purl; }
};

Json tools_json(const Options& options) {
  Json tool = {{"type", "application"}, {"author", "Jit"}, {"name", "jit-agent"}, {"version", options.tool_version}};
  return {{"components", Json::array({tool})}};
}

Json component_json(const Component& c) {
  Json j;
  j["type"] = "library";
  j["bom-ref"] = c.ref();
  j["name"] = c.name;
  if (!c.version.empty()) j["version"] = c.version;  // an unpinned requirement has none
  j["purl"] = c.purl;
  if (c.direct_known) j["scope"] = c.direct ? "required" : "optional";
  if (c.source_kind == "git" && !c.source.empty()) {
    j["externalReferences"] = Json::array({{{"url", c.source}, {"type", "vcs"}}});
  } else if (c.source_kind == "url" && !c.source.empty()) {
    j["externalReferences"] = Json::array({{{"url", c.source}, {"type", "distribution"}}});
  }
  Json props = Json::array();
  props.push_back({{"name", "jit:ecosystem"}, {"value", c.ecosystem}});
  if (c.direct_known) props.push_back({{"name", "jit:direct"}, {"value", c.direct ? "true" : "false"}});
  if (!c.source_kind.empty()) props.push_back({{"name", "jit:source_kind"}, {"value", c.source_kind}});
  if (c.source_kind == "path" && !c.source.empty()) props.push_back({{"name", "jit:source"}, {"value", c.source}});
  if (!c.requirement.empty()) props.push_back({{"name", "jit:requirement"}, {"value", c.requirement}});
  j["properties"] = std::move(props);
  return j;
}

std::string rating_severity(findings::Severity s) {
  switch (s) {
    case findings::Severity::critical: return "critical";
    case findings::Severity::high: return "high";
    case findings::Severity::medium: return "medium";
    case findings::Severity::low: return "low";
    case findings::Severity::info: return "info";
    case findings::Severity::unknown: break;
  }
  return "unknown";
}

// One vulnerability entry per advisory, affecting every component it was found in.
Json vulnerabilities_json(const std::vector<const Finding*>& list) {
  std::map<std::string, std::pair<const Finding*, std::set<std::string>>> by_id;
  for (const Finding* f : list) {
    const auto& d = *f->dependency;
    auto& entry = by_id[d.advisory_id];
    if (!entry.first) entry.first = f;
    entry.second.insert(package_url(d.ecosystem, d.package, d.version));
  }
  Json out = Json::array();
  for (const auto& [id, entry] : by_id) {
    const Finding& f = *entry.first;
    const auto& d = *f.dependency;
    Json v;
    v["bom-ref"] = "vuln:" + id;
    v["id"] = id;
    v["source"] = {{"name", "OSV"}, {"url", "https://osv.dev/vulnerability/" + id}};
    Json refs = Json::array();
    for (const auto& a : d.aliases) {
      std::string source = a.starts_with("CVE-") ? "NVD" : a.starts_with("GHSA-") ? "GitHub" : "OSV";
      refs.push_back({{"id", a}, {"source", {{"name", source}}}});
    }
    if (!refs.empty()) v["references"] = std::move(refs);
    Json rating;
    rating["severity"] = rating_severity(f.severity);
    if (d.cvss_score) {
      rating["score"] = *d.cvss_score;
      rating["method"] = d.cvss_vector.starts_with("CVSS:4.0/")   ? "CVSSv4"
                         : d.cvss_vector.starts_with("CVSS:3.1/") ? "CVSSv31"
                         : d.cvss_vector.starts_with("CVSS:3.0/") ? "CVSSv3"
                                                                   : "CVSSv2";
      rating["vector"] = d.cvss_vector;
    }
    v["ratings"] = Json::array({rating});
    Json cwes = Json::array();
    for (const auto& c : f.cwes) {
      if (auto n = cwe_number(c); !n.empty()) cwes.push_back(std::stoi(n));
    }
    if (!cwes.empty()) v["cwes"] = std::move(cwes);
    if (!d.summary.empty()) v["description"] = sanitize_terminal(d.summary);
    v["recommendation"] = d.fixed_version.empty() ? "No fixed version is known yet."
                                                  : "Upgrade " + d.package + " to " + d.fixed_version;
    Json affects = Json::array();
    for (const auto& ref : entry.second) affects.push_back({{"ref", ref}});
    v["affects"] = std::move(affects);
    out.push_back(std::move(v));
  }
  return out;
}

Json document(const std::string& serial_seed, const Json& subject, const std::vector<Component>& components,
              const std::vector<const Finding*>& vulns, const findings::ScanResult& result, const Options& options) {
  Json doc;
  doc["bomFormat"] = "CycloneDX";
  doc["specVersion"] = "1.5";
  doc["serialNumber"] = "urn:uuid:" + util::uuid_from(serial_seed);
  doc["version"] = 1;
  Json meta;
  meta["timestamp"] = rfc3339_utc(result.end_time);
  meta["tools"] = tools_json(options);
  meta["component"] = subject;
  doc["metadata"] = std::move(meta);
  Json comps = Json::array();
  std::set<std::string> seen;
  for (const auto& c : components) {
    if (seen.insert(c.ref()).second) comps.push_back(component_json(c));
  }
  doc["components"] = std::move(comps);
  if (!vulns.empty()) doc["vulnerabilities"] = vulnerabilities_json(vulns);
  return doc;
}

}  // namespace

std::string package_url(std::string_view ecosystem, std::string_view name, std::string_view version) {
  auto colon = ecosystem.find(':');
  std::string_view eco = colon == std::string_view::npos ? ecosystem : ecosystem.substr(0, colon);
  std::string type, path;
  if (eco == "npm") {
    type = "npm";
    path = encode_path(name);  // "@scope/name": the scope is the namespace
  } else if (eco == "PyPI") {
    type = "pypi";
    std::string n = lower(name);
    std::replace(n.begin(), n.end(), '_', '-');
    path = percent_encode(n);
  } else if (eco == "Go") {
    type = "golang";
    path = encode_path(name);
  } else if (eco == "crates.io") {
    type = "cargo";
    path = percent_encode(name);
  } else if (eco == "RubyGems") {
    type = "gem";
    path = percent_encode(name);
  } else if (eco == "Packagist") {
    type = "composer";
    path = encode_path(lower(name));
  } else if (eco == "Maven") {
    type = "maven";
    auto sep = name.find(':');
    path = sep == std::string_view::npos ? percent_encode(name)
                                         : percent_encode(name.substr(0, sep)) + "/" + percent_encode(name.substr(sep + 1));
  } else if (eco == "NuGet") {
    type = "nuget";
    path = percent_encode(name);
  } else if (eco == "Pub") {  // purl-spec: pub names are lower case
    type = "pub";
    path = percent_encode(lower(name));
  } else if (eco == "Hex") {
    type = "hex";
    path = percent_encode(lower(name));
  } else if (eco == "ConanCenter") {
    type = "conan";
    path = percent_encode(name);
  } else if (eco == "SwiftURL") {  // "github.com/apple/swift-nio": host and owner are the namespace
    type = "swift";
    path = encode_path(name);
  } else if (eco == "CocoaPods") {
    type = "cocoapods";
    path = percent_encode(name);
  } else if (eco == "CRAN") {
    type = "cran";
    path = percent_encode(name);
  } else {
    type = "generic";
    path = percent_encode(name);
  }
  std::string purl = "pkg:" + type + "/" + path;
  if (!version.empty()) purl += "@" + percent_encode(version);
  return purl;
}

std::string component_purl(const SbomComponent& c) {
  // A version only when exact: a git or URL package's version is the one its lockfile states.
  std::string purl = package_url(c.ecosystem, c.name, c.requirement.empty() ? c.version : std::string_view());
  if (c.source_kind == "git" && !c.source.empty()) {
    purl += "?vcs_url=" + encode_qualifier(vcs_url(c.source));
  } else if (c.source_kind == "url" && !c.source.empty()) {
    purl += "?download_url=" + encode_qualifier(c.source);
  }
  return purl;
}

void write_cyclonedx_lockfile(std::ostream& out, const SbomLockfile& lockfile, const findings::ScanResult& result,
                              const Options& options) {
  std::vector<Component> comps;
  for (const auto& c : lockfile.components) {
    comps.push_back({component_purl(c), c.name, c.requirement.empty() ? c.version : std::string(), c.ecosystem,
                     c.direct, c.direct_known, c.source_kind, c.source, c.requirement});
  }
  std::sort(comps.begin(), comps.end(), [](const Component& a, const Component& b) { return a.ref() < b.ref(); });
  std::vector<const Finding*> vulns;
  for (const Finding* f : sorted_findings(result)) {
    if (f->dependency && f->dependency->lockfile == lockfile.path) vulns.push_back(f);
  }
  Json subject;
  subject["type"] = "application";
  subject["bom-ref"] = "lockfile:" + lockfile.path;
  subject["name"] = lockfile.path;
  Json props = Json::array();
  props.push_back({{"name", "jit:folder"}, {"value", lockfile.folder.empty() ? "/" : lockfile.folder}});
  if (!lockfile.format.empty()) props.push_back({{"name", "jit:lockfile_format"}, {"value", lockfile.format}});
  subject["properties"] = std::move(props);
  std::string seed = "cyclonedx:" + lockfile.path;
  for (const auto& c : comps) seed += "\n" + c.ref();
  write_json_document(out, document(seed, subject, comps, vulns, result, options));
}

void write_cyclonedx(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  std::vector<Component> comps;
  std::vector<const Finding*> vulns;
  for (const Finding* f : sorted_findings(result)) {
    if (!f->dependency || f->dependency->package.empty()) continue;
    const auto& d = *f->dependency;
    comps.push_back({package_url(d.ecosystem, d.package, d.version), d.package, d.version, d.ecosystem, d.direct,
                     d.direct_known});
    vulns.push_back(f);
  }
  std::sort(comps.begin(), comps.end(), [](const Component& a, const Component& b) { return a.purl < b.purl; });
  Json subject;
  subject["type"] = "application";
  subject["bom-ref"] = "scan:" + result.root;
  subject["name"] = result.root.empty() ? "." : result.root;
  std::string seed = "cyclonedx-scan:" + result.root;
  for (const auto& c : comps) seed += "\n" + c.purl;
  write_json_document(out, document(seed, subject, comps, vulns, result, options));
}

}  // namespace agent::report
