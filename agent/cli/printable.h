#pragma once
// Text quoted from users' files on its way to the terminal: control characters are shown escaped
// ("\t", "\x1b"), never interpreted.
#include <string>
#include <string_view>

namespace agent::cli {

/// `text` with tabs as "\t" and other C0 controls and DEL as "\xNN"; newlines are kept when
/// `keep_newlines` (messages, one per line), else shown as "\n" (a value on one line).
std::string printable(std::string_view text, bool keep_newlines);

}  // namespace agent::cli
