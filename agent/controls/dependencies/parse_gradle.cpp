// gradle.lockfile: "group:artifact:version=configuration,..." per line; "empty=" lists unused
// configurations. Lines of another shape are skipped with a warning (Gradle never writes them).
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_gradle(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "gradle.lockfile";
  LineReader lines(content);
  std::string_view line;
  while (lines.next(line)) {
    std::string_view body = trim(line);
    if (body.empty() || body[0] == '#' || body.rfind("empty=", 0) == 0) continue;
    std::string_view coordinates = body.substr(0, body.find('='));
    std::size_t first = coordinates.find(':');
    std::size_t second = first == std::string_view::npos ? first : coordinates.find(':', first + 1);
    bool ok = second != std::string_view::npos && first > 0 && second > first + 1 &&
              second + 1 < coordinates.size() && coordinates.find(':', second + 1) == std::string_view::npos &&
              coordinates.find(' ') == std::string_view::npos;
    if (!ok) {
      warn(out, path, lines.number(), "expected 'group:artifact:version=configurations', line skipped");
      continue;
    }
    out.packages.push_back(make_package(std::string(coordinates.substr(0, second)),
                                        std::string(coordinates.substr(second + 1)), "Maven",
                                        lines.number()));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
