#pragma once
// Fingerprints of secret findings: stable when code moves, unique within a scan.
#include <string>
#include <string_view>

namespace agent::controls::secrets {

/// Hex SHA-256 of (rule id, path, SHA-256 of the secret): independent of the line, so an
/// unrelated edit above a finding keeps it. `occurrence` > 0 (the same secret seen again in the
/// same file under the same rule) is mixed in so fingerprints stay unique.
std::string secret_fingerprint(std::string_view rule_id, std::string_view path,
                               std::string_view secret_sha256, unsigned occurrence);

}  // namespace agent::controls::secrets
