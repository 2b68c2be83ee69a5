#pragma once
// Shannon entropy, the randomness test that separates keys from words.
#include <string_view>

namespace agent::controls::secrets {

/// Shannon entropy of `text` in bits per byte (0 for an empty string; at most 8).
double shannon_entropy(std::string_view text);

}  // namespace agent::controls::secrets
