#pragma once
// Hashing helpers (OpenSSL libcrypto).
#include <string>
#include <string_view>

namespace agent::util {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// An RFC 4122 version-5-style UUID string derived deterministically from `name`.
std::string uuid_from(std::string_view name);

}  // namespace agent::util
