// gradle/verification-metadata.xml: Gradle's dependency verification lists one <component group=
// name= version=> per module it has checksums or signatures for: every resolved module of the
// build (plugins and build tools included). Trust and ignored-key rules carry no versions.
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_gradle_verification(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "verification-metadata.xml";
  XmlTag root;
  std::vector<XmlTag> components = xml_tags_named(path, content, "component", &root);
  if (root.name != "verification-metadata") {
    fail(path, root.line, 0,
         "not a Gradle verification-metadata.xml: the root element is <" + root.name + ">");
  }
  for (const XmlTag& c : components) {
    const std::string* group = c.attribute("group");
    const std::string* name = c.attribute("name");
    const std::string* version = c.attribute("version");
    if (!group || !name || !version || group->empty() || name->empty()) {
      fail(path, c.line, 0, "<component> needs group, name and version attributes");
    }
    if (version->empty()) {
      warn(out, path, c.line, "component " + *group + ":" + *name + " without a version is skipped");
      continue;
    }
    out.packages.push_back(make_package(*group + ":" + *name, *version, "Maven", c.line));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
