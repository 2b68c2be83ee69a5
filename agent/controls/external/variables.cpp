#include "agent/controls/external/variables.h"

#include "agent/util/error.h"

namespace agent::controls::external {
namespace {

[[noreturn]] void fail(const config::ToolSpec& spec, const std::string& message) {
  std::string where = spec.defined_at.empty() || spec.defined_at == "preset" ? "" : spec.defined_at + ": ";
  throw util::UsageError(where + "control " + spec.name + ": " + message);
}

}  // namespace

std::string expand(std::string_view text, const Variables& vars, const config::ToolSpec& spec) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto start = text.find("${", i);
    if (start == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, start - i));
    auto end = text.find('}', start + 2);
    if (end == std::string_view::npos)
      fail(spec, "unterminated ${ in '" + std::string(text) + "'");
    std::string_view name = text.substr(start + 2, end - start - 2);
    if (name == "WORK_DIR") out += vars.work_dir;
    else if (name == "FOLDER") out += vars.folder;
    else if (name == "REPORT_FILE") out += vars.report_file;
    else if (name == "CHANGED_FILES") out += vars.changed_files;
    else if (name == "JIT_TOOLS_DIR") out += vars.tools_dir;
    else if (name == "FILES") fail(spec, "${FILES} must be an argument of its own, not part of '" + std::string(text) + "'");
    else
      fail(spec, "unknown variable ${" + std::string(name) +
                     "} in '" + std::string(text) +
                     "' (known: ${WORK_DIR}, ${FOLDER}, ${REPORT_FILE}, ${CHANGED_FILES}, ${JIT_TOOLS_DIR}, ${FILES})");
    i = end + 1;
  }
  return out;
}

std::vector<std::string> expand_args(const config::ToolSpec& spec, const Variables& vars,
                                     const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& arg : spec.args) {
    if (arg == "${FILES}") {
      out.insert(out.end(), files.begin(), files.end());
      continue;
    }
    out.push_back(expand(arg, vars, spec));
  }
  return out;
}

bool uses_report_file(const config::ToolSpec& spec) {
  for (const auto& arg : spec.args)
    if (arg.find("${REPORT_FILE}") != std::string::npos) return true;
  return false;
}

}  // namespace agent::controls::external
