// pom.xml: the project's <dependencies> (and those of its <profiles>), versions written literally
// or as ${property} resolved from <properties> and the project's own coordinates, or taken from
// <dependencyManagement>. Parent POMs in the repository (<relativePath>, by default ../pom.xml,
// read through ParseOptions::read_include; a few levels, cycles refused) give their properties,
// dependencyManagement, dependencies and coordinates, as Maven's inheritance does. Plugin
// dependencies are build tools, not the project's. A dependency whose version stays unknown (a
// parent or BOM outside the repository, a range) is listed without a version (a range as its
// requirement) and named in one warning.
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "agent/controls/dependencies/parsers.h"
#include "agent/controls/dependencies/xml_lite.h"

namespace agent::controls::dependencies::detail {
namespace {

class Interpolator {
 public:
  explicit Interpolator(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  // Replaces ${name} recursively (a few levels, cycles stop); false when something stays unresolved
  // or the result grows absurdly (properties doubling each other at every level).
  bool resolve(std::string& text, int depth = 0) const {
    constexpr std::size_t kMaxLength = 4096;
    std::string out;
    bool ok = true;
    std::size_t pos = 0;
    while (true) {
      if (out.size() > kMaxLength) return false;
      std::size_t open = text.find("${", pos);
      if (open == std::string::npos) break;
      std::size_t close = text.find('}', open + 2);
      if (close == std::string::npos) break;
      out.append(text, pos, open - pos);
      std::string name = text.substr(open + 2, close - open - 2);
      auto it = values_.find(name);
      std::string value;
      if (it != values_.end() && depth < 8 && it->second.size() <= kMaxLength) {
        value = it->second;
        ok = resolve(value, depth + 1) && ok;
      } else {
        value = text.substr(open, close - open + 1);
        ok = false;
      }
      out += value;
      pos = close + 1;
    }
    if (pos == 0) return ok;
    out.append(text, pos, std::string::npos);
    text = std::move(out);
    return ok && text.size() <= kMaxLength;
  }

 private:
  std::map<std::string, std::string> values_;
};

// "[1.2.3]" pins one version; other ranges ("[1.0,2.0)") name none.
bool exact_version(std::string& version) {
  if (version.empty()) return false;
  if (version.front() != '[' && version.front() != '(') return version.find(',') == std::string::npos;
  if (version.size() > 2 && version.front() == '[' && version.back() == ']' &&
      version.find(',') == std::string::npos) {
    version = std::string(trim(std::string_view(version).substr(1, version.size() - 2)));
    return !version.empty();
  }
  return false;
}

void collect(const XmlElement* dependencies, std::vector<const XmlElement*>& out) {
  if (!dependencies) return;
  for (const XmlElement& d : dependencies->children) {
    if (d.name == "dependency") out.push_back(&d);
  }
}

// One POM of the inheritance chain: the project first, then its parents.
struct Pom {
  std::string path;
  XmlElement project;
};

std::string group_artifact(const XmlElement& coordinates, const XmlElement* parent_of_it) {
  std::string group = coordinates.child_text("groupId");
  if (group.empty() && parent_of_it) group = parent_of_it->child_text("groupId");
  return group + ":" + coordinates.child_text("artifactId");
}

// The parents of chain.front() found in the repository, appended to `chain`.
void load_parents(std::deque<Pom>& chain, const ParseOptions& options, ParsedLockfile& out) {
  std::set<std::string> seen{std::filesystem::path(chain.front().path).lexically_normal().generic_string()};
  while (true) {
    const Pom& child = chain.back();
    const XmlElement* parent = child.project.child("parent");
    if (!parent) return;
    const XmlElement* relative = parent->child("relativePath");
    if (relative && relative->text.empty()) return;  // <relativePath/>: from a repository only
    bool explicit_path = relative != nullptr;
    std::filesystem::path target = explicit_path ? relative->text : "../pom.xml";
    target = std::filesystem::path(child.path).parent_path() / target;
    if (!target.has_extension()) target /= "pom.xml";  // a directory
    std::string name = target.lexically_normal().generic_string();
    if (seen.count(name)) {
      warn(out, child.path, parent->line, "parent POM '" + name + "' is already in the chain (a cycle), not read");
      return;
    }
    if (static_cast<int>(chain.size()) > options.max_include_depth) {
      warn(out, child.path, parent->line, "parent POM '" + name + "' is nested too deeply, not read");
      return;
    }
    std::optional<std::string> text = options.read_include ? options.read_include(name) : read_include_file(name);
    if (!text) {
      if (explicit_path) warn(out, child.path, parent->line, "cannot read parent POM '" + relative->text + "'");
      return;
    }
    Pom pom{name, {}};
    try {
      pom.project = parse_xml(name, *text);
    } catch (const std::exception& e) {
      warn(out, child.path, parent->line, std::string("parent POM not read: ") + e.what());
      return;
    }
    // Maven takes the file only when it is the parent named (else the parent comes from a repository).
    std::string wanted = group_artifact(*parent, nullptr);
    if (pom.project.name != "project" || group_artifact(pom.project, pom.project.child("parent")) != wanted) {
      if (explicit_path) warn(out, child.path, parent->line, "'" + name + "' is not the parent POM " + wanted);
      return;
    }
    seen.insert(name);
    chain.push_back(std::move(pom));
  }
}

ParsedLockfile parse_pom(const std::string& path, std::string_view content, const ParseOptions* options) {
  ParsedLockfile out;
  out.format = "pom.xml";
  std::deque<Pom> chain;
  chain.push_back({path, parse_xml(path, content)});
  const XmlElement& project = chain.front().project;
  if (project.name != "project") {
    fail(path, project.line, 0, "not a pom.xml: the root element is <" + project.name + ">, not <project>");
  }
  if (options) load_parents(chain, *options, out);
  std::map<std::string, std::string> values;
  auto read_properties = [&values](const XmlElement* properties) {
    if (!properties) return;
    for (const XmlElement& p : properties->children) values[p.name] = p.text;
  };
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) read_properties(it->project.child("properties"));
  const XmlElement* parent = project.child("parent");
  for (const char* field : {"groupId", "artifactId", "version"}) {
    std::string own = project.child_text(field);
    std::string inherited = parent ? parent->child_text(field) : "";
    if (parent) values[std::string("project.parent.") + field] = inherited;
    std::string value = own.empty() && std::string_view(field) != "artifactId" ? inherited : own;
    if (value.empty()) continue;
    values[std::string("project.") + field] = value;
    values[std::string("pom.") + field] = value;  // deprecated spellings Maven still accepts
    values[field] = value;
  }
  const XmlElement* profiles = project.child("profiles");
  std::vector<const XmlElement*> profile_list;
  if (profiles) {
    for (const XmlElement& p : profiles->children) {
      if (p.name != "profile") continue;
      profile_list.push_back(&p);
      read_properties(p.child("properties"));
    }
  }
  Interpolator interpolate(std::move(values));

  // <dependencyManagement> versions for dependencies declared without one; the nearest POM wins.
  std::vector<const XmlElement*> managed;
  if (const XmlElement* dm = project.child("dependencyManagement")) collect(dm->child("dependencies"), managed);
  for (const XmlElement* p : profile_list) {
    if (const XmlElement* dm = p->child("dependencyManagement")) collect(dm->child("dependencies"), managed);
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (const XmlElement* dm = chain[i].project.child("dependencyManagement")) collect(dm->child("dependencies"), managed);
  }
  std::map<std::string, std::string> managed_versions;
  for (const XmlElement* d : managed) {
    std::string group = d->child_text("groupId"), artifact = d->child_text("artifactId");
    std::string version = d->child_text("version");
    if (!interpolate.resolve(group) || !interpolate.resolve(artifact)) continue;
    managed_versions.emplace(group + ":" + artifact, version);
  }

  // Declared dependencies: the project's, then those inherited from its parents.
  std::vector<std::pair<const XmlElement*, std::size_t>> declared;  // element, index in the chain
  {
    std::vector<const XmlElement*> own;
    collect(project.child("dependencies"), own);
    for (const XmlElement* p : profile_list) collect(p->child("dependencies"), own);
    for (const XmlElement* d : own) declared.emplace_back(d, 0);
    for (std::size_t i = 1; i < chain.size(); ++i) {
      std::vector<const XmlElement*> inherited;
      collect(chain[i].project.child("dependencies"), inherited);
      for (const XmlElement* d : inherited) declared.emplace_back(d, i);
    }
  }
  std::vector<std::string> unresolved;
  std::set<std::string> listed;
  for (const auto& [d, level] : declared) {
    const std::string& file = chain[level].path;
    std::string group = d->child_text("groupId"), artifact = d->child_text("artifactId");
    std::string version = d->child_text("version");
    if (group.empty() || artifact.empty()) continue;  // nothing to look up
    if (!interpolate.resolve(group) || !interpolate.resolve(artifact)) {
      warn(out, file, d->line, "dependency " + group + ":" + artifact + " uses an undefined property");
      continue;
    }
    std::string name = group + ":" + artifact;
    if (level > 0 && listed.count(name)) continue;  // the child's declaration overrides the parent's
    if (level == 0) listed.insert(name);
    if (version.empty()) {
      auto it = managed_versions.find(name);
      if (it != managed_versions.end()) version = it->second;
    }
    Package p = make_package(name, version, "Maven", d->line, true, true);
    if (level > 0) p.declared_in = file;
    std::string written = version;
    if (!interpolate.resolve(version) || !exact_version(version)) {
      unresolved.push_back(name);
      p.version.clear();
      p.requirement = version.find("${") == std::string::npos ? version : written;  // a range as written
    } else {
      p.version = version;
    }
    out.packages.push_back(std::move(p));
  }
  if (!unresolved.empty()) {
    std::string names;
    for (std::size_t i = 0; i < unresolved.size() && i < 5; ++i) names += (i ? ", " : "") + unresolved[i];
    if (unresolved.size() > 5) names += ", ...";
    warn(out, path, 0,
         std::to_string(unresolved.size()) +
             " dependency(ies) without one version (parent POM or BOM outside the repository, or a range), "
             "not checked: " + names);
  }
  return out;
}

}  // namespace

// Alone, no parent POM is read (see the overload with options).
ParsedLockfile parse_maven(const std::string& path, std::string_view content) {
  return parse_pom(path, content, nullptr);
}

ParsedLockfile parse_maven(const std::string& path, std::string_view content, const ParseOptions& options) {
  return parse_pom(path, content, &options);
}

}  // namespace agent::controls::dependencies::detail
