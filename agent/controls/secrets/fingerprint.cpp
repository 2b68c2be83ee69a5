#include "agent/controls/secrets/fingerprint.h"

#include "agent/util/hash.h"

namespace agent::controls::secrets {

std::string secret_fingerprint(std::string_view rule_id, std::string_view path,
                               std::string_view secret_sha256, unsigned occurrence) {
  // NUL separators: no two different (rule, path, secret) triples hash the same text.
  std::string text;
  text.reserve(rule_id.size() + path.size() + secret_sha256.size() + 16);
  text.append(rule_id).push_back('\0');
  text.append(path).push_back('\0');
  text.append(secret_sha256);
  if (occurrence > 0) text.append(1, '\0').append(std::to_string(occurrence));
  return util::sha256_hex(text);
}

}  // namespace agent::controls::secrets
