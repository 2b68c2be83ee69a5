#pragma once
// Which files belong to which language (by name; extension-less shell scripts by their #! line).
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/control.h"

namespace agent::controls::external {

/// How a language is named to people ("Python", "C++", "shell").
std::string language_label(std::string_view language);

/// "Python", "C or C++", "JavaScript or TypeScript": the languages of a skip reason.
std::string languages_label(const std::vector<std::string>& languages);

/// The files of `input` inside `folder` ("" = the root) that are of one of `languages` (all files
/// when `languages` is empty). Reads the first line of extension-less files only for "shell".
std::vector<const FileEntry*> files_of(const ScanInput& input, std::string_view folder,
                                       const std::vector<std::string>& languages);

}  // namespace agent::controls::external
