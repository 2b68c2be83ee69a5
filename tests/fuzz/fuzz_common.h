#pragma once
// Shared by the fuzz targets (tests/fuzz/*_fuzz.cpp): the input split into a selector byte and the
// rest, and the exceptions a parser documents (caught: they are its answer to bad input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fuzz {

/// The first byte picks a mode (modulo `modes`), the rest is the document.
struct Input {
  unsigned mode = 0;
  std::string_view text;
};

inline Input split(const std::uint8_t* data, std::size_t size, unsigned modes) {
  if (size == 0) return {0, {}};
  return {static_cast<unsigned>(data[0]) % modes,
          std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)};
}

/// Inputs above this size are ignored: the parsers are linear and libFuzzer's -max_len keeps
/// inputs far smaller; this only bounds replayed files.
inline constexpr std::size_t kMaxInput = 1 << 20;

}  // namespace fuzz
