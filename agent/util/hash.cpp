#include "agent/util/hash.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace agent::util {
namespace {
std::array<unsigned char, 32> sha256_raw(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}
}  // namespace

std::string sha256_hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto raw = sha256_raw(data);
  std::string out(64, '0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    out[2 * i] = kHex[raw[i] >> 4];
    out[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return out;
}

std::string uuid_from(std::string_view name) {
  auto raw = sha256_raw(name);
  raw[6] = static_cast<unsigned char>((raw[6] & 0x0f) | 0x50);  // version 5 layout
  raw[8] = static_cast<unsigned char>((raw[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", raw[0],
                raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10],
                raw[11], raw[12], raw[13], raw[14], raw[15]);
  return buf;
}

}  // namespace agent::util
