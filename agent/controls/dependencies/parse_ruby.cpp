// Gemfile.lock: gems of the GEM and GIT sections ("    name (version[-platform])"); PATH gems
// are local code. DEPENDENCIES lists what the Gemfile asks for: the direct gems.
#include <set>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_gemfile(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "Gemfile.lock";
  std::set<std::string> direct;
  bool has_dependencies = false;
  std::string section;

  LineReader lines(content);
  std::string_view line;
  while (lines.next(line)) {
    if (is_blank(line)) continue;
    std::size_t indent = line.find_first_not_of(' ');
    std::string_view body = trim(line);
    if (indent == 0) {
      for (char c : body) {
        if (!((c >= 'A' && c <= 'Z') || c == ' ' || c == '_')) {
          fail(path, lines.number(), 1, "expected a section name such as GEM or DEPENDENCIES");
        }
      }
      section = std::string(body);
      has_dependencies = has_dependencies || section == "DEPENDENCIES";
      continue;
    }
    if (section == "DEPENDENCIES" && indent == 2) {
      std::size_t end = body.find_first_of(" !(");
      direct.emplace(body.substr(0, end));
      continue;
    }
    bool source = section == "GEM" || section == "GIT" || section == "PLUGIN SOURCE";
    if (!source || indent != 4) continue;  // remote:, revision:, dependencies of a gem, PATH gems ...
    std::size_t open = body.find(" (");
    if (open == std::string_view::npos || body.back() != ')') {
      fail(path, lines.number(), 5, "expected 'name (version)' in the " + section + " specs");
    }
    std::string_view version = body.substr(open + 2, body.size() - open - 3);
    version = version.substr(0, version.find('-'));  // "1.13.3-x86_64-linux": platform gem
    if (version.empty()) fail(path, lines.number(), 5, "empty gem version");
    out.packages.push_back(make_package(std::string(body.substr(0, open)), std::string(version), "RubyGems",
                                        lines.number()));
  }
  // DEPENDENCIES usually comes after the gems: mark them once the whole file is read.
  for (Package& p : out.packages) {
    p.direct_known = has_dependencies;
    p.direct = direct.count(p.name) > 0;
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
