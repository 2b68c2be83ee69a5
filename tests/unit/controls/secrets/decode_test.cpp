#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <random>
#include <tuple>

#include <string>

#include "agent/controls/secrets/decode.h"
#include "agent/controls/secrets/engine.h"

using namespace agent::controls::secrets;
using agent::findings::Finding;
using agent::findings::ScanStats;

namespace {

std::string base64(std::string_view in, bool url = false) {
  const char* a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                 static_cast<unsigned char>(in[i + 2]);
    out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += a[v >> 6 & 63], out += a[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += url ? "" : "==";
  } else if (i + 2 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += a[v >> 18 & 63], out += a[v >> 12 & 63], out += a[v >> 6 & 63], out += url ? "" : "=";
  }
  return out;
}

std::string hex(std::string_view in) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : in) out += d[c >> 4], out += d[c & 15];
  return out;
}

const char* kToken = "tok_Q7vR2mK9pL4xW8nZ3bT6yH1cF5";  // random, fake
const char* kRules =
    "rules:\n"
    "  - id: test-token\n    name: t\n    description: d\n    severity: high\n"
    "    pattern: '\\b(?P<secret>tok_[0-9A-Za-z]{26})\\b'\n    keywords: [tok_]\n    examples: [x]\n";

Engine engine(int depth = 1) {
  Engine e(load_rules_from_string(kRules, "test.yaml"), {});
  e.set_decode_depth(depth);
  return e;
}

std::vector<Finding> scan(const Engine& e, std::string_view data, ScanStats* stats_out = nullptr) {
  std::vector<Finding> out;
  ScanStats stats;
  auto scratch = e.make_scratch();
  e.scan(data, "cfg/app.txt", *scratch, out, stats);
  if (stats_out) *stats_out = stats;
  return out;
}

}  // namespace

TEST_CASE("decode: runs are found by length and alphabet") {
  std::vector<EncodedRun> runs;
  std::string text = "a=" + base64("hello world, a printable text") + " short=abc h=" + hex("0123456789abcdefghij") +
                     " u=https://x.example.com/p?q=a%20b%3Dc%26d";
  find_encoded_runs(text, runs);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].encoding == Encoding::base64);
  CHECK(runs[1].encoding == Encoding::hex);
  CHECK(runs[2].encoding == Encoding::percent);
  std::string out;
  CHECK(decode_run(std::string_view(text).substr(runs[0].start, runs[0].end - runs[0].start), runs[0].encoding, out));
  CHECK(out == "hello world, a printable text");
  CHECK(decode_run(std::string_view(text).substr(runs[1].start, runs[1].end - runs[1].start), runs[1].encoding, out));
  CHECK(out == "0123456789abcdefghij");
  CHECK(decode_run(std::string_view(text).substr(runs[2].start, runs[2].end - runs[2].start), runs[2].encoding, out));
  CHECK(out == "u=https://x.example.com/p?q=a b=c&d");
}

namespace {

// The runs by their definition, one byte at a time: maximal runs of at least 20 base64-alphabet
// bytes (after the previous run's padding), then classified as find_encoded_runs does.
std::vector<std::tuple<std::size_t, std::size_t, int>> reference_runs(const std::string& d) {
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '-' || c == '_';
  };
  auto hexc = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  std::vector<std::tuple<std::size_t, std::size_t, int>> out;
  for (std::size_t i = 0; i < d.size();) {
    if (!b64(d[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < d.size() && b64(d[end])) ++end;
    std::size_t after = end;
    while (after < d.size() && after - end < 2 && d[after] == '=') ++after;
    if (end - i >= 20) {
      const bool all_hex = std::all_of(d.begin() + static_cast<long>(i), d.begin() + static_cast<long>(end), hexc);
      const bool upper = std::any_of(d.begin() + static_cast<long>(i), d.begin() + static_cast<long>(end),
                                     [](char c) { return c >= 'A' && c <= 'Z'; });
      const bool lower = std::any_of(d.begin() + static_cast<long>(i), d.begin() + static_cast<long>(end),
                                     [](char c) { return c >= 'a' && c <= 'z'; });
      if (all_hex && end - i >= 32) out.emplace_back(i, end, 1);
      else if (end - i >= 34 && d[i] == '0' && (d[i + 1] == 'x' || d[i + 1] == 'X') &&
               std::all_of(d.begin() + static_cast<long>(i) + 2, d.begin() + static_cast<long>(end), hexc))
        out.emplace_back(i + 2, end, 1);
      else if (upper && lower) out.emplace_back(i, after, 0);
    }
    i = after;
  }
  return out;
}

/// find_encoded_runs' runs of `text` as (start, end, 1 for hex else 0), as reference_runs gives them.
std::vector<std::tuple<std::size_t, std::size_t, int>> runs_of(const std::string& text) {
  std::vector<EncodedRun> runs;
  find_encoded_runs(text, runs);
  std::vector<std::tuple<std::size_t, std::size_t, int>> out;
  for (const auto& r : runs) out.emplace_back(r.start, r.end, r.encoding == Encoding::hex ? 1 : 0);
  return out;
}

}  // namespace

TEST_CASE("decode: runs are found wherever they start and end, across 64-byte blocks") {
  std::mt19937 rng(20261203);
  const std::string alphabet = "aZ09+/-_fF=x \n.\x80\xff";
  std::size_t total = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const std::size_t len = std::uniform_int_distribution<std::size_t>(0, 700)(rng);
    // Runs of one kind of byte, 1 to 40 long, so runs of 19, 20 and 21 straddle every offset.
    while (text.size() < len) {
      const char c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
      const bool in_run = c != ' ' && c != '\n' && c != '.' && c != '=' && static_cast<unsigned char>(c) < 0x80;
      for (std::size_t k = 0; k < n; ++k) text += in_run ? alphabet[std::uniform_int_distribution<std::size_t>(0, 8)(rng)] : c;
    }
    const auto got = runs_of(text);
    INFO("round " << round << ": " << text);
    REQUIRE(got == reference_runs(text));
    total += got.size();
  }
  CHECK(total > 3000);
}

TEST_CASE("decode: every byte value is classified as the alphabet defines it, at every block offset") {
  // A byte between two runs of 10 alphabet characters joins them into a run of 21 only if it is in
  // the alphabet (A-Z a-z 0-9 + / - _). Texts over 128 bytes take the vectorized path.
  std::size_t joined = 0;
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t at = 10; at < 10 + 64; at += 7) {
      std::string text(300, ' ');
      for (std::size_t k = 0; k < 10; ++k) text[at - 10 + k] = text[at + 1 + k] = k % 2 ? 'Q' : 'b';
      text[at] = static_cast<char>(byte);
      const auto got = runs_of(text);
      INFO("byte " << byte << " at " << at);
      REQUIRE(got == reference_runs(text));
      joined += got.size();
    }
  }
  CHECK(joined == 66 * 10);  // the 66 alphabet bytes at each of the 10 offsets
}

TEST_CASE("decode: binary results are rejected") {
  std::string out;
  CHECK_FALSE(decode_run(hex(std::string(40, '\x01')), Encoding::hex, out));
  CHECK_FALSE(decode_run("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Encoding::hex, out));
  CHECK_FALSE(decode_run("some_long_identifier_name_here", Encoding::base64, out));
}

TEST_CASE("decode: a base64-encoded secret is reported at the encoded run") {
  auto e = engine();
  std::string plain = std::string("token = ") + kToken;
  std::string encoded = base64(plain);
  std::string data = "line one\n  value: " + encoded + "\n";
  auto found = scan(e, data);
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule_id == "test-token");
  CHECK(found[0].line == 2);
  CHECK(found[0].column == 10);
  CHECK(found[0].end_column == 9 + static_cast<int>(encoded.size()));
  REQUIRE(found[0].secret);
  CHECK(found[0].secret->encoding == "base64");
  CHECK(found[0].secret->raw == kToken);
  // The fingerprint is the plain secret's: one ignore covers both.
  auto plain_found = scan(e, plain);
  REQUIRE(plain_found.size() == 1);
  CHECK(plain_found[0].fingerprint == found[0].fingerprint);
}

TEST_CASE("decode: URL-safe base64, hex and percent-encoding") {
  auto e = engine();
  std::string plain = std::string("k=") + kToken + "?~>>";
  for (const std::string& enc : {base64(plain, true), hex(plain), std::string("q%3D") + kToken + "%26"}) {
    auto found = scan(e, "x " + enc + " y");
    CAPTURE(enc);
    REQUIRE(found.size() == 1);
    CHECK(found[0].column == 3);
  }
  CHECK(scan(e, "x " + hex(plain) + " y")[0].secret->encoding == "hex");
}

TEST_CASE("decode: depth 0 disables, depth 2 reaches nested encodings") {
  std::string data = "v=" + base64(hex(std::string("secret ") + kToken));
  CHECK(scan(engine(0), "v=" + base64(kToken)).empty());
  CHECK(scan(engine(1), data).empty());
  auto found = scan(engine(2), data);
  REQUIRE(found.size() == 1);
  CHECK(found[0].secret->encoding == "base64/hex");
}

TEST_CASE("decode: no duplicate when the plain text already holds the secret") {
  auto e = engine();
  std::string data = std::string("a=") + kToken + "\nb=" + base64(std::string("t=") + kToken) + "\n";
  auto found = scan(e, data);
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == 1);
  CHECK(found[0].secret->encoding.empty());
}

TEST_CASE("decode: jit:allow on the encoded run's line suppresses") {
  ScanStats stats;
  auto found = scan(engine(), "b=" + base64(std::string("t=") + kToken) + "  # jit:allow\n", &stats);
  CHECK(found.empty());
  CHECK(stats.suppressed == 1);
}

TEST_CASE("decode: a long run is decoded in windows, memory bounded") {
  auto e = engine();
  std::string filler(300000, 'a');  // printable text, encoded as one long base64 run
  std::string plain = filler + " tok=" + kToken + " " + filler;
  auto found = scan(e, base64(plain));
  REQUIRE(found.size() == 1);
  CHECK(found[0].line == 1);
  CHECK(found[0].column == 1);
}
