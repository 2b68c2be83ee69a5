#pragma once
// ${VAR} expansion of a tool's command and arguments. No shell is involved: the result is argv.
#include <string>
#include <string_view>
#include <vector>

#include "agent/config/tools.h"

namespace agent::controls::external {

struct Variables {
  std::string work_dir;       ///< ${WORK_DIR}: the checkout's root (the tool's cwd)
  std::string folder;         ///< ${FOLDER}: absolute path of the monorepo folder (or the root)
  std::string report_file;    ///< ${REPORT_FILE}: a fresh path in a private temp dir
  std::string changed_files;  ///< ${CHANGED_FILES}: "" when the scan is not of a merge request
  std::string tools_dir;      ///< ${JIT_TOOLS_DIR}
};

/// `text` with every ${NAME} replaced; an unknown name, ${FILES} inside a longer argument or an
/// unterminated "${" is a util::UsageError naming the control and where it was defined.
std::string expand(std::string_view text, const Variables& vars, const config::ToolSpec& spec);

/// The spec's args expanded; an argument that is exactly "${FILES}" becomes `files` (absolute paths).
std::vector<std::string> expand_args(const config::ToolSpec& spec, const Variables& vars,
                                     const std::vector<std::string>& files);

/// True when some argument names ${REPORT_FILE}.
bool uses_report_file(const config::ToolSpec& spec);

}  // namespace agent::controls::external
