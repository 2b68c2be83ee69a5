// pom.xml: the project's <dependencies> (and those of its <profiles>), versions written literally
// or as ${property} resolved from <properties> and the project's own coordinates, or taken from the
// file's <dependencyManagement>. Plugin dependencies are build tools, not the project's. What
// cannot be resolved within the file (versions from a parent POM or BOM, ranges) is reported in
// one warning: without the parent there is no version to check.
#include <map>
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

}  // namespace

ParsedLockfile parse_maven(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "pom.xml";
  XmlElement project = parse_xml(path, content);
  if (project.name != "project") {
    fail(path, project.line, 0, "not a pom.xml: the root element is <" + project.name + ">, not <project>");
  }
  std::map<std::string, std::string> values;
  const XmlElement* parent = project.child("parent");
  for (const char* field : {"groupId", "artifactId", "version"}) {
    std::string own = project.child_text(field);
    std::string inherited = parent ? parent->child_text(field) : "";
    if (parent) values[std::string("project.parent.") + field] = inherited;
    std::string value = own.empty() ? inherited : own;
    if (value.empty()) continue;
    values[std::string("project.") + field] = value;
    values[std::string("pom.") + field] = value;  // deprecated spellings Maven still accepts
    values[field] = value;
  }
  auto read_properties = [&values](const XmlElement* properties) {
    if (!properties) return;
    for (const XmlElement& p : properties->children) values[p.name] = p.text;
  };
  read_properties(project.child("properties"));
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

  // <dependencyManagement> versions for dependencies declared without one.
  std::vector<const XmlElement*> managed;
  if (const XmlElement* dm = project.child("dependencyManagement")) collect(dm->child("dependencies"), managed);
  for (const XmlElement* p : profile_list) {
    if (const XmlElement* dm = p->child("dependencyManagement")) collect(dm->child("dependencies"), managed);
  }
  std::map<std::string, std::string> managed_versions;
  for (const XmlElement* d : managed) {
    std::string group = d->child_text("groupId"), artifact = d->child_text("artifactId");
    std::string version = d->child_text("version");
    if (!interpolate.resolve(group) || !interpolate.resolve(artifact)) continue;
    managed_versions.emplace(group + ":" + artifact, version);
  }

  std::vector<const XmlElement*> declared;
  collect(project.child("dependencies"), declared);
  for (const XmlElement* p : profile_list) collect(p->child("dependencies"), declared);
  std::vector<std::string> unresolved;
  for (const XmlElement* d : declared) {
    std::string group = d->child_text("groupId"), artifact = d->child_text("artifactId");
    std::string version = d->child_text("version");
    if (group.empty() || artifact.empty()) continue;  // nothing to look up
    if (!interpolate.resolve(group) || !interpolate.resolve(artifact)) {
      warn(out, path, d->line, "dependency " + group + ":" + artifact + " uses an undefined property");
      continue;
    }
    std::string name = group + ":" + artifact;
    if (version.empty()) {
      auto it = managed_versions.find(name);
      if (it != managed_versions.end()) version = it->second;
    }
    if (!interpolate.resolve(version) || !exact_version(version)) {
      unresolved.push_back(name);
      continue;
    }
    out.packages.push_back(make_package(name, version, "Maven", d->line, true, true));
  }
  if (!unresolved.empty()) {
    std::string names;
    for (std::size_t i = 0; i < unresolved.size() && i < 5; ++i) names += (i ? ", " : "") + unresolved[i];
    if (unresolved.size() > 5) names += ", ...";
    warn(out, path, 0,
         std::to_string(unresolved.size()) +
             " dependency(ies) without one version in this file (parent POM, BOM or range), not checked: " +
             names);
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
