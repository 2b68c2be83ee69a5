// The format table: the one place that maps a --format / --report name to its writer.
#include "agent/report/report.h"
#include "agent/report/dependency_reports.h"

#include <array>

namespace agent::report {
namespace {

struct Format {
  std::string_view name;
  Writer writer;
};

// To add a format: declare its write_* function in report.h and add one row here.
constexpr std::array kFormats = {
    Format{"text", write_text},
    Format{"json", write_json},
    Format{"sarif", write_sarif},
    Format{"gitlab", write_gitlab_secrets},
    Format{"gitlab-sast", write_gitlab_sast},
    Format{"codequality", write_codequality},
    Format{"gitlab-dependency-scanning", write_gitlab_dependency_scanning},
    Format{"cyclonedx", write_cyclonedx},
    Format{"html", write_html},
};

}  // namespace

Writer writer_for(std::string_view format) {
  for (const auto& f : kFormats)
    if (f.name == format) return f.writer;
  return nullptr;
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  names.reserve(kFormats.size());
  for (const auto& f : kFormats) names.emplace_back(f.name);
  return names;
}

}  // namespace agent::report
