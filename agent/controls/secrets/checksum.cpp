#include "agent/controls/secrets/checksum.h"

#include <algorithm>
#include <array>

namespace agent::controls::secrets {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

// <prefix>_<random><6 checksum chars>: the body after the last '_' (base62 has none).
bool crc32_base62(std::string_view secret) {
  const std::size_t us = secret.rfind('_');
  std::string_view body = us == std::string_view::npos ? secret : secret.substr(us + 1);
  if (body.size() < 7) return false;
  std::string_view random = body.substr(0, body.size() - 6), check = body.substr(body.size() - 6);
  return base62(crc32(random), 6) == check;
}

}  // namespace

bool known_checksum(std::string_view name) {
  return std::find(std::begin(kChecksumNames), std::end(kChecksumNames), name) != std::end(kChecksumNames);
}

bool checksum_valid(std::string_view name, std::string_view secret) {
  if (name == "crc32-base62") return crc32_base62(secret);
  return false;
}

std::uint32_t crc32(std::string_view data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string base62(std::uint32_t value, std::size_t width) {
  std::string out;
  do {
    out += kBase62[value % 62];
    value /= 62;
  } while (value);
  while (out.size() < width) out += '0';
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace agent::controls::secrets
