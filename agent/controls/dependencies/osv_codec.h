#pragma once
// Internal: the compact text form the index stores for affected entries and severities (parsed
// far faster than JSON at scan time). Fields are tab-separated, one line per item.
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/dependencies/osv_record.h"

namespace agent::controls::dependencies {

std::string encode_affected(const OsvAffected& affected);
OsvAffected decode_affected(std::string_view data);

std::string encode_severity(const std::vector<OsvSeverity>& severity);
std::vector<OsvSeverity> decode_severity(std::string_view data);

/// Joins with '\n' (newlines and tabs inside items become spaces).
std::string join_lines(const std::vector<std::string>& items);
std::vector<std::string> split_lines(std::string_view text);

}  // namespace agent::controls::dependencies
