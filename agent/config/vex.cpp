#include "agent/config/vex.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include "agent/util/error.h"

namespace agent::config {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::array kStatuses = {"not_affected", "affected", "fixed", "under_investigation"};
constexpr std::array kJustifications = {"component_not_present", "vulnerable_code_not_present",
                                        "vulnerable_code_not_in_execute_path",
                                        "vulnerable_code_cannot_be_controlled_by_adversary",
                                        "inline_mitigations_already_exist"};

template <std::size_t N>
bool one_of(const std::array<const char*, N>& list, const std::string& value) {
  return std::any_of(list.begin(), list.end(), [&](const char* v) { return value == v; });
}

template <std::size_t N>
std::string listed(const std::array<const char*, N>& list) {
  std::string out;
  for (const char* v : list) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

// A product or subcomponent: "pkg:..." (v0.0.x) or {"@id": "pkg:...", "identifiers": {"purl": ...}}.
void add_component(const json& c, std::vector<std::string>& out) {
  if (c.is_string()) {
    out.push_back(c.get<std::string>());
  } else if (c.is_object()) {
    if (auto id = c.find("@id"); id != c.end() && id->is_string()) out.push_back(id->get<std::string>());
    if (auto ids = c.find("identifiers"); ids != c.end() && ids->is_object())
      if (auto p = ids->find("purl"); p != ids->end() && p->is_string()) out.push_back(p->get<std::string>());
    if (auto subs = c.find("subcomponents"); subs != c.end() && subs->is_array())
      for (const auto& s : *subs) add_component(s, out);
  }
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The purl type of an OSV ecosystem (purl-spec's types).
std::string purl_type(std::string_view ecosystem) {
  const std::string e = lower(ecosystem.substr(0, ecosystem.find(':')));
  if (e == "npm") return "npm";
  if (e == "pypi") return "pypi";
  if (e == "go") return "golang";
  if (e == "crates.io") return "cargo";
  if (e == "rubygems") return "gem";
  if (e == "packagist") return "composer";
  if (e == "maven") return "maven";
  if (e == "nuget") return "nuget";
  if (e == "pub") return "pub";
  if (e == "hex") return "hex";
  if (e == "swifturl") return "swift";
  if (e == "cocoapods") return "cocoapods";
  if (e == "cran") return "cran";
  if (e == "conancenter") return "conan";
  return e;
}

// PEP 503 for PyPI names; case-insensitive for the ecosystems that are.
std::string comparable_name(const std::string& type, std::string name) {
  if (type == "maven") std::replace(name.begin(), name.end(), ':', '/');
  if (type == "pypi") {
    std::string out;
    for (char c : lower(name)) {
      const bool sep = c == '-' || c == '_' || c == '.';
      if (sep) {
        if (out.empty() || out.back() != '-') out += '-';
      } else {
        out += c;
      }
    }
    return out;
  }
  if (type == "nuget" || type == "composer" || type == "npm") return lower(name);
  return name;
}

}  // namespace

bool purl_matches(std::string_view purl, const findings::DependencyDetail& d) {
  if (purl.substr(0, 4) != "pkg:") return false;
  purl.remove_prefix(4);
  while (!purl.empty() && purl.front() == '/') purl.remove_prefix(1);
  purl = purl.substr(0, purl.find('#'));  // subpath
  purl = purl.substr(0, purl.find('?'));  // qualifiers
  const auto slash = purl.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string type = lower(purl.substr(0, slash));
  std::string_view rest = purl.substr(slash + 1);
  std::string version;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    version = percent_decode(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  if (type != purl_type(d.ecosystem)) return false;
  if (comparable_name(type, percent_decode(rest)) != comparable_name(type, d.package)) return false;
  if (version.empty()) return true;
  // Go versions carry a "v" in purls and lockfiles alike; tolerate one side without it.
  auto bare = [](std::string v) { return !v.empty() && v[0] == 'v' ? v.substr(1) : v; };
  return version == d.version || bare(version) == bare(d.version);
}

VexDocument parse_vex(std::string_view text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw util::UsageError(file + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + e.what());
  } catch (const json::exception& e) {  // a number out of range ("1e999") is out_of_range, not parse_error
    throw util::UsageError(file + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw util::UsageError(file + ": an OpenVEX document is a JSON object");
  auto ctx = doc.find("@context");
  if (ctx == doc.end() || !ctx->is_string() || ctx->get<std::string>().find("openvex") == std::string::npos)
    throw util::UsageError(file + ": not an OpenVEX document (\"@context\" must be https://openvex.dev/ns/...)");
  auto statements = doc.find("statements");
  if (statements == doc.end() || !statements->is_array())
    throw util::UsageError(file + ": \"statements\" must be an array");
  VexDocument out;
  out.file = file;
  for (std::size_t i = 0; i < statements->size(); ++i) {
    const json& s = (*statements)[i];
    const std::string where = file + ": statement " + std::to_string(i + 1);
    if (!s.is_object()) throw util::UsageError(where + ": must be an object");
    VexStatement st;
    st.source = where;
    if (auto v = s.find("vulnerability"); v != s.end()) {
      if (v->is_string()) {
        st.vulnerabilities.push_back(v->get<std::string>());
      } else if (v->is_object()) {
        for (const char* key : {"name", "@id"})
          if (auto n = v->find(key); n != v->end() && n->is_string()) st.vulnerabilities.push_back(n->get<std::string>());
        if (auto a = v->find("aliases"); a != v->end() && a->is_array())
          for (const auto& x : *a)
            if (x.is_string()) st.vulnerabilities.push_back(x.get<std::string>());
      }
    }
    if (st.vulnerabilities.empty()) throw util::UsageError(where + ": \"vulnerability\" needs a name");
    if (auto p = s.find("products"); p != s.end() && p->is_array())
      for (const auto& c : *p) add_component(c, st.products);
    if (auto subs = s.find("subcomponents"); subs != s.end() && subs->is_array())  // v0.0.x
      for (const auto& c : *subs) add_component(c, st.products);
    if (st.products.empty()) throw util::UsageError(where + ": \"products\" names no product");
    auto status = s.find("status");
    if (status == s.end() || !status->is_string()) throw util::UsageError(where + ": \"status\" is missing");
    st.status = status->get<std::string>();
    if (!one_of(kStatuses, st.status))
      throw util::UsageError(where + ": status \"" + st.status + "\" is not one of " + listed(kStatuses));
    if (auto j = s.find("justification"); j != s.end() && j->is_string()) st.justification = j->get<std::string>();
    if (auto m = s.find("impact_statement"); m != s.end() && m->is_string()) st.impact_statement = m->get<std::string>();
    if (!st.justification.empty() && !one_of(kJustifications, st.justification))
      throw util::UsageError(where + ": justification \"" + st.justification + "\" is not one of " +
                             listed(kJustifications));
    if (st.status == "not_affected" && st.justification.empty() && st.impact_statement.empty())
      throw util::UsageError(where + ": a not_affected statement needs a justification or an impact_statement");
    out.statements.push_back(std::move(st));
  }
  return out;
}

VexDocument load_vex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw util::UsageError(path.string() + ": cannot read the VEX document");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_vex(ss.str(), path.string());
}

std::size_t apply_vex(const std::vector<VexDocument>& docs, findings::ScanResult& result) {
  std::vector<findings::Finding> kept;
  std::size_t moved = 0;
  for (auto& f : result.findings) {
    const VexStatement* last = nullptr;
    if (f.dependency) {
      const auto& d = *f.dependency;
      for (const auto& doc : docs)
        for (const auto& st : doc.statements) {
          const bool vuln = std::any_of(st.vulnerabilities.begin(), st.vulnerabilities.end(), [&](const std::string& v) {
            const std::string id = lower(v);
            return id == lower(d.advisory_id) ||
                   std::any_of(d.aliases.begin(), d.aliases.end(), [&](const std::string& a) { return lower(a) == id; });
          });
          if (!vuln) continue;
          if (std::any_of(st.products.begin(), st.products.end(), [&](const std::string& p) { return purl_matches(p, d); }))
            last = &st;
        }
    }
    if (!last || (last->status != "not_affected" && last->status != "fixed")) {
      kept.push_back(std::move(f));
      continue;
    }
    findings::Suppression s;
    s.reason = "false_positive";
    s.comment = "VEX " + last->status;
    if (!last->justification.empty()) s.comment += " (" + last->justification + ")";
    if (!last->impact_statement.empty()) s.comment += ": " + last->impact_statement;
    s.source = last->source;
    f.suppression = std::move(s);
    result.ignored.push_back(std::move(f));
    ++moved;
  }
  result.findings = std::move(kept);
  return moved;
}

}  // namespace agent::config
