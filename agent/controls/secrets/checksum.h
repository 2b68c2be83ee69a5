#pragma once
// Checksums some token formats carry, so a string of the right shape that is not a real token is
// not a finding (`checksum:` key of a rule).
//
// crc32-base62: GitHub's ghp_/gho_/ghu_/ghs_/ghr_ tokens and npm's npm_ tokens end in 6 base62
// characters (0-9A-Za-z, leading zeros) holding the CRC-32 (IEEE) of the 30 random characters
// between the prefix's `_` and the checksum (GitHub's "Behind GitHub's new authentication token
// formats", 2021; npm's token format of September 2021 uses the same scheme).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agent::controls::secrets {

/// Names a rule may give as `checksum:`.
inline constexpr std::string_view kChecksumNames[] = {"crc32-base62"};

/// True when `name` is one of kChecksumNames.
bool known_checksum(std::string_view name);

/// Whether `secret` carries a valid checksum of kind `name` (false for an unknown name).
bool checksum_valid(std::string_view name, std::string_view secret);

/// CRC-32 (IEEE 802.3, as zlib) of `data`.
std::uint32_t crc32(std::string_view data);

/// `value` in base62 (0-9A-Za-z), left-padded with '0' to `width` characters.
std::string base62(std::uint32_t value, std::size_t width);

}  // namespace agent::controls::secrets
