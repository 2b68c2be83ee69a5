// Gemfile.lock: gems of the GEM, GIT and PATH sections ("    name (version[-platform])"); GIT gems
// carry their `remote` and `revision`, PATH gems their folder. DEPENDENCIES lists what the
// Gemfile asks for: the direct gems.
#include <set>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_gemfile(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "Gemfile.lock";
  std::set<std::string> direct;
  bool has_dependencies = false;
  std::string section;
  std::string remote, revision;  // of the current GIT or PATH section

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
      remote.clear();
      revision.clear();
      has_dependencies = has_dependencies || section == "DEPENDENCIES";
      continue;
    }
    if ((section == "GIT" || section == "PATH") && indent == 2) {
      std::string_view key = body.substr(0, body.find(':'));
      std::string_view value = key.size() < body.size() ? trim(body.substr(key.size() + 1)) : std::string_view();
      if (key == "remote") remote = std::string(value);
      else if (key == "revision") revision = std::string(value);
      continue;
    }
    if (section == "DEPENDENCIES" && indent == 2) {
      std::size_t end = body.find_first_of(" !(");
      direct.emplace(body.substr(0, end));
      continue;
    }
    bool source = section == "GEM" || section == "GIT" || section == "PATH" || section == "PLUGIN SOURCE";
    if (!source || indent != 4) continue;  // remote:, revision:, dependencies of a gem ...
    std::size_t open = body.find(" (");
    if (open == std::string_view::npos || body.back() != ')') {
      fail(path, lines.number(), 5, "expected 'name (version)' in the " + section + " specs");
    }
    std::string_view version = body.substr(open + 2, body.size() - open - 3);
    version = version.substr(0, version.find('-'));  // "1.13.3-x86_64-linux": platform gem
    if (version.empty()) fail(path, lines.number(), 5, "empty gem version");
    Package p = make_package(std::string(body.substr(0, open)), std::string(version), "RubyGems", lines.number());
    if (section == "GIT") {
      p.source_kind = "git";
      p.source = remote + (revision.empty() ? "" : "#" + revision);
    } else if (section == "PATH") {
      p.source_kind = "path";
      p.source = remote;
    }
    out.packages.push_back(std::move(p));
  }
  // DEPENDENCIES usually comes after the gems: mark them once the whole file is read.
  for (Package& p : out.packages) {
    p.direct_known = has_dependencies;
    p.direct = direct.count(p.name) > 0;
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
