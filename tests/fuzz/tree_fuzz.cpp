// Fuzz target: tree objects as the history walk parses them (agent/checkout/raw_tree). Input: two
// bytes giving the length of tree A (little-endian), A's bytes, then tree B's bytes. Checked: B
// parsed like A (taking A's shared first and last entries) gives exactly what a full parse of B
// gives, or both refuse it; the entries it claims to share are equal in A and B; every entry lies
// inside B's bytes; tree order (RawTree::compare) is antisymmetric. Documented: none (parse
// returns null with a message on malformed bytes, and throws nothing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "agent/checkout/raw_tree.h"
#include "tests/fuzz/fuzz_common.h"

using agent::checkout::RawTree;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

git_oid oid_of(unsigned char n) {
  git_oid id{};
  id.id[0] = n;
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > fuzz::kMaxInput) return 0;
  const std::size_t stated = data[0] | (std::size_t{data[1]} << 8);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::size_t split = stated < rest.size() ? stated : rest.size();
  // Copies: the parser must not read past either tree (ASan sees the exact bounds).
  const std::string a(rest.substr(0, split)), b(rest.substr(split));
  std::string error;
  auto ta = RawTree::parse(oid_of(1), nullptr, a, error);
  auto full = RawTree::parse(oid_of(2), nullptr, b, error);
  if (full) {
    for (const auto& e : full->entries()) {
      require(e.name.data() > b.data() && e.name.data() + e.name.size() + 1 + 20 <= b.data() + b.size());
      require(reinterpret_cast<const char*>(e.id) == e.name.data() + e.name.size() + 1);
      (void)e.type();
      (void)e.filemode();
    }
    const auto& es = full->entries();
    for (std::size_t i = 0; i + 1 < es.size(); ++i) {
      const int x = RawTree::compare(es[i], es[i + 1]), y = RawTree::compare(es[i + 1], es[i]);
      require((x < 0 && y > 0) || (x > 0 && y < 0) || (x == 0 && y == 0));
    }
  } else {
    require(!error.empty());
  }
  if (!ta) return 0;
  auto like = RawTree::parse(oid_of(2), nullptr, b, error, ta.get());
  require(static_cast<bool>(like) == static_cast<bool>(full));
  if (!like) return 0;
  require(like->entries().size() == full->entries().size());
  for (std::size_t i = 0; i < like->entries().size(); ++i) {
    const auto& x = like->entries()[i];
    const auto& y = full->entries()[i];
    require(x.name.data() == y.name.data() && x.name.size() == y.name.size() && x.id == y.id && x.mode == y.mode &&
            x.start == y.start);
  }
  const auto [first, last] = like->shared_with(*ta);
  require(first + last <= like->entries().size() && first + last <= ta->entries().size());
  auto same = [](const RawTree::Entry& x, const RawTree::Entry& y) {
    return x.name == y.name && x.mode == y.mode && std::memcmp(x.id->id, y.id->id, 20) == 0;
  };
  const auto& le = like->entries();
  const auto& ae = ta->entries();
  for (std::size_t i = 0; i < first; ++i) require(same(le[i], ae[i]));
  for (std::size_t i = 1; i <= last; ++i) require(same(le[le.size() - i], ae[ae.size() - i]));
  return 0;
}
