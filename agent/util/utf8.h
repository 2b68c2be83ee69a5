#pragma once
// UTF-8 encoding of code points, for the readers that decode escapes (TOML, XML).
#include <string>

namespace agent::util {

/// Appends code point `cp` to `out` as UTF-8 (for \u escapes and character references).
void append_utf8(std::string& out, unsigned long cp);

}  // namespace agent::util
