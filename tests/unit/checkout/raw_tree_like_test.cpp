// RawTree::parse with a similar tree (`like`): the entries it takes from the other tree's
// common prefix and suffix must be exactly those a full parse finds, and shared_with() must only
// claim entries that are the same in both trees.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "agent/checkout/raw_tree.h"

using agent::checkout::RawTree;

namespace {

struct Spec {
  std::string name;
  std::uint32_t mode;
  std::string id;  // 20 bytes
};

std::string serialize(const std::vector<Spec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o", s.mode);
    out += mode;
    out += ' ';
    out += s.name;
    out += '\0';
    out += s.id;
  }
  return out;
}

bool spec_less(const Spec& a, const Spec& b) {
  // git's order: a folder's name compares as if it ended in '/'.
  std::string x = a.name + (a.mode == 040000 ? "/" : "");
  std::string y = b.name + (b.mode == 040000 ? "/" : "");
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                      [](char c, char d) { return static_cast<unsigned char>(c) < static_cast<unsigned char>(d); });
}

std::string random_id(std::mt19937& rng) {
  std::string id(20, '\0');
  for (auto& c : id) c = static_cast<char>(rng() & 0xff);
  // Ids that contain the bytes a parser might stop at.
  if (rng() % 4 == 0) id[rng() % 20] = '\0';
  if (rng() % 4 == 0) id[rng() % 20] = ' ';
  return id;
}

std::string random_name(std::mt19937& rng) {
  static const std::string alphabet = "ab.-_Z09";
  std::string name;
  const std::size_t len = 1 + rng() % 6;
  for (std::size_t i = 0; i < len; ++i) name += rng() % 10 == 0 ? static_cast<char>(0x80 + rng() % 0x40) : alphabet[rng() % alphabet.size()];
  return name;
}

std::uint32_t random_mode(std::mt19937& rng) {
  static const std::uint32_t modes[] = {0100644, 0100755, 040000, 0120000, 0160000, 0100664};
  return modes[rng() % 6];
}

std::vector<Spec> normalized(std::vector<Spec> specs) {
  std::sort(specs.begin(), specs.end(), [](const Spec& a, const Spec& b) { return a.name < b.name; });
  specs.erase(std::unique(specs.begin(), specs.end(), [](const Spec& a, const Spec& b) { return a.name == b.name; }), specs.end());
  std::sort(specs.begin(), specs.end(), spec_less);
  return specs;
}

git_oid oid_of(unsigned n) {
  git_oid id{};
  std::memcpy(id.id, &n, sizeof n);
  return id;
}

void require_same_entries(const RawTree& a, const RawTree& b) {
  REQUIRE(a.entries().size() == b.entries().size());
  for (std::size_t i = 0; i < a.entries().size(); ++i) {
    const auto& x = a.entries()[i];
    const auto& y = b.entries()[i];
    REQUIRE(x.name.data() == y.name.data());
    REQUIRE(x.name == y.name);
    REQUIRE(x.id == y.id);
    REQUIRE(x.mode == y.mode);
    REQUIRE(x.start == y.start);
  }
}

void require_shared_are_same(const RawTree& parsed, const RawTree& like) {
  const auto [first, last] = parsed.shared_with(like);
  REQUIRE(first + last <= parsed.entries().size());
  REQUIRE(first + last <= like.entries().size());
  auto same = [](const RawTree::Entry& x, const RawTree::Entry& y) {
    return x.name == y.name && x.mode == y.mode && std::memcmp(x.id->id, y.id->id, 20) == 0;
  };
  for (std::size_t i = 0; i < first; ++i) REQUIRE(same(parsed.entries()[i], like.entries()[i]));
  for (std::size_t i = 1; i <= last; ++i)
    REQUIRE(same(parsed.entries()[parsed.entries().size() - i], like.entries()[like.entries().size() - i]));
}

}  // namespace

TEST_CASE("a tree parsed like a similar tree has the entries of a full parse", "[raw_tree][like]") {
  std::mt19937 rng(20261203);
  std::size_t shared_total = 0, entries_total = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<Spec> a;
    const std::size_t n = rng() % 40;
    for (std::size_t i = 0; i < n; ++i) a.push_back({random_name(rng), random_mode(rng), random_id(rng)});
    a = normalized(a);
    std::vector<Spec> b = a;
    const int edits = static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      switch (rng() % 4) {
        case 0:  // a changed file
          if (!b.empty()) b[rng() % b.size()].id = random_id(rng);
          break;
        case 1:  // a removed file
          if (!b.empty()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(rng() % b.size()));
          break;
        case 2:  // an added file
          b.push_back({random_name(rng), random_mode(rng), random_id(rng)});
          break;
        default:  // a mode change
          if (!b.empty()) b[rng() % b.size()].mode = random_mode(rng);
          break;
      }
    }
    b = normalized(b);
    const std::string da = serialize(a), db = serialize(b);
    std::string error;
    auto ta = RawTree::parse(oid_of(1), nullptr, da, error);
    REQUIRE(ta);
    auto full = RawTree::parse(oid_of(2), nullptr, db, error);
    REQUIRE(full);
    auto like = RawTree::parse(oid_of(2), nullptr, db, error, ta.get());
    REQUIRE(like);
    require_same_entries(*like, *full);
    require_shared_are_same(*like, *ta);
    REQUIRE(full->shared_with(*ta) == std::pair<std::size_t, std::size_t>{0, 0});  // parsed without it
    const auto [first, last] = like->shared_with(*ta);
    shared_total += first + last;
    entries_total += like->entries().size();
    // Only the tree it was parsed like is recognized.
    REQUIRE(like->shared_with(*full) == std::pair<std::size_t, std::size_t>{0, 0});
  }
  // The point of it: most entries of a slightly edited tree are taken, not parsed.
  CHECK(shared_total * 2 > entries_total);
}

TEST_CASE("parsing like a tree: identical, empty, unrelated and truncated trees", "[raw_tree][like]") {
  std::mt19937 rng(7);
  std::vector<Spec> a;
  for (int i = 0; i < 30; ++i) a.push_back({random_name(rng), random_mode(rng), random_id(rng)});
  a = normalized(a);
  const std::string da = serialize(a);
  std::string error;
  auto ta = RawTree::parse(oid_of(1), nullptr, da, error);
  REQUIRE(ta);
  REQUIRE(ta->entries().size() == a.size());

  SECTION("the same bytes: every entry shared") {
    const std::string copy = da;
    auto t = RawTree::parse(oid_of(2), nullptr, copy, error, ta.get());
    REQUIRE(t);
    REQUIRE(t->entries().size() == a.size());
    REQUIRE(t->shared_with(*ta).first + t->shared_with(*ta).second == a.size());
    // Taken from `ta`, but pointing into this tree's own bytes.
    REQUIRE(t->entries()[0].name.data() == copy.data() + (ta->entries()[0].name.data() - da.data()));
    for (const auto& e : t->entries()) REQUIRE((e.name.data() >= copy.data() && e.name.data() < copy.data() + copy.size()));
  }
  SECTION("an empty tree, either way") {
    auto empty = RawTree::parse(oid_of(3), nullptr, std::string_view(), error, ta.get());
    REQUIRE(empty);
    REQUIRE(empty->entries().empty());
    const std::string copy = da;
    auto t = RawTree::parse(oid_of(2), nullptr, copy, error, empty.get());
    REQUIRE(t);
    auto full = RawTree::parse(oid_of(2), nullptr, copy, error);
    require_same_entries(*t, *full);
  }
  SECTION("an unrelated tree shares nothing") {
    std::vector<Spec> other;
    for (int i = 0; i < 10; ++i) other.push_back({random_name(rng) + "x", random_mode(rng), random_id(rng)});
    const std::string db = serialize(normalized(other));
    auto t = RawTree::parse(oid_of(2), nullptr, db, error, ta.get());
    REQUIRE(t);
    auto full = RawTree::parse(oid_of(2), nullptr, db, error);
    require_same_entries(*t, *full);
    require_shared_are_same(*t, *ta);
  }
  SECTION("bytes that begin like the tree but are cut inside an entry are refused") {
    for (std::size_t cut = 1; cut < da.size(); cut += 7) {
      const std::string prefix = da.substr(0, cut);
      auto full = RawTree::parse(oid_of(2), nullptr, prefix, error);
      auto t = RawTree::parse(oid_of(2), nullptr, prefix, error, ta.get());
      REQUIRE(static_cast<bool>(t) == static_cast<bool>(full));
      if (t) require_same_entries(*t, *full);
      else REQUIRE_FALSE(error.empty());
    }
  }
  SECTION("a corrupted byte between a shared prefix and a shared suffix is found") {
    std::string bad = da;
    bad[bad.size() / 2] = '\0';
    auto full = RawTree::parse(oid_of(2), nullptr, bad, error);
    auto t = RawTree::parse(oid_of(2), nullptr, bad, error, ta.get());
    REQUIRE(static_cast<bool>(t) == static_cast<bool>(full));
    if (t) require_same_entries(*t, *full);
  }
}

TEST_CASE("parsing like a tree: common end bytes that are not an entry boundary there", "[raw_tree][like]") {
  // The bytes of `b` are all the end of `a`, but `b`'s first entry begins inside `a`'s first
  // entry (whose name holds what looks like another entry): only `a`'s boundaries may be used.
  const std::string id2(20, '\x22'), id3(20, '\x33');
  const std::string a = std::string("100644 q 100644 c") + '\0' + id2 + "100644 d" + '\0' + id3;
  const std::string b = std::string("100644 c") + '\0' + id2 + "100644 d" + '\0' + id3;
  std::string error;
  auto ta = RawTree::parse(oid_of(1), nullptr, a, error);
  REQUIRE(ta);
  REQUIRE(ta->entries().size() == 2);
  REQUIRE(ta->entries()[0].name == "q 100644 c");
  auto t = RawTree::parse(oid_of(2), nullptr, b, error, ta.get());
  REQUIRE(t);
  auto full = RawTree::parse(oid_of(2), nullptr, b, error);
  REQUIRE(full->entries().size() == 2);
  require_same_entries(*t, *full);
  REQUIRE(t->entries()[0].name == "c");
  require_shared_are_same(*t, *ta);
  REQUIRE(t->shared_with(*ta).second == 1);  // "d" is taken from `a`
}
