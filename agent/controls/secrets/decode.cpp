#include "agent/controls/secrets/decode.h"
#include "agent/controls/secrets/matches.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "agent/controls/secrets/fingerprint.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace agent::controls::secrets {
namespace {

constexpr unsigned char kB64 = 1;    // A-Z a-z 0-9 + / - _
constexpr unsigned char kHex = 2;    // 0-9 a-f A-F
constexpr unsigned char kToken = 4;  // may be part of a percent-encoded token

constexpr std::size_t kWindow = 64 << 10;       // encoded bytes decoded at once
constexpr std::size_t kWindowOverlap = 1 << 10;  // so a secret across a window edge is still whole
constexpr std::size_t kBatchLimit = 1 << 20;     // decoded bytes scanned at once
constexpr std::size_t kTokenBack = 4 << 10;      // how far back a percent token may start
constexpr std::size_t kLineCap = 4 << 10;        // how far a run's line is searched for jit:allow

constexpr std::array<unsigned char, 256> make_classes() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    unsigned char v = 0;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
        c == '-' || c == '_')
      v |= kB64;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`') v |= kToken;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
constexpr auto kClass = make_classes();

constexpr std::array<signed char, 256> make_b64_values() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 26; ++i) {
    t[static_cast<std::size_t>('A' + i)] = static_cast<signed char>(i);
    t[static_cast<std::size_t>('a' + i)] = static_cast<signed char>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t[static_cast<std::size_t>('0' + i)] = static_cast<signed char>(52 + i);
  t['+'] = t['-'] = 62;  // standard and URL-safe alphabets alike
  t['/'] = t['_'] = 63;
  return t;
}
constexpr auto kB64Value = make_b64_values();

inline unsigned char cls(char c) { return kClass[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_escape(std::string_view data, std::size_t i) {
  return i + 2 < data.size() + 0 && data[i] == '%' && (cls(data[i + 1]) & kHex) && (cls(data[i + 2]) & kHex);
}

bool printable(unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r'; }

// At least 90% printable, checked on a prefix first so binary data is rejected early.
bool mostly_printable(std::string_view text) {
  if (text.empty()) return false;
  std::size_t bad = 0;
  const std::size_t probe = std::min<std::size_t>(text.size(), 64);
  for (std::size_t i = 0; i < probe; ++i) bad += !printable(static_cast<unsigned char>(text[i]));
  if (bad * 10 > probe) return false;
  for (std::size_t i = probe; i < text.size(); ++i) bad += !printable(static_cast<unsigned char>(text[i]));
  return bad * 10 <= text.size();
}

bool decode_base64(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) text.remove_suffix(1);  // a lone trailing sextet carries no byte
  out.clear();
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int v = kB64Value[static_cast<unsigned char>(text[i])];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    // Reject binary early: the first 48 decoded bytes decide for most non-text runs.
    if (out.size() == 48 && i + 1 < text.size() && !mostly_printable(out)) return false;
  }
  return true;
}

bool decode_hex(std::string_view text, std::string& out) {
  if (text.size() % 2) text.remove_suffix(1);
  out.clear();
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi << 4 | lo));
    if (out.size() == 48 && i + 2 < text.size() && !mostly_printable(out)) return false;
  }
  return true;
}

bool decode_percent(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) << 4 | hex_value(text[i + 2])));
      i += 2;
      any = true;
    } else {
      out.push_back(text[i]);
    }
  }
  return any;
}

// Where a finding's run is, in the outer text.
struct RunPosition {
  int line = 0, column = 0, end_line = 0, end_column = 0;
};

bool line_suppressed(std::string_view data, const EncodedRun& run) {
  const char* d = data.data();
  const std::size_t lo = run.start > kLineCap ? run.start - kLineCap : 0;
  const std::size_t hi = std::min(data.size(), run.end + kLineCap);
  const void* b = run.start > lo ? memrchr(d + lo, '\n', run.start - lo) : nullptr;
  const void* e = run.end < hi ? std::memchr(d + run.end, '\n', hi - run.end) : nullptr;
  const std::size_t from = b ? static_cast<std::size_t>(static_cast<const char*>(b) - d) + 1 : lo;
  const std::size_t to = e ? static_cast<std::size_t>(static_cast<const char*>(e) - d) : hi;
  std::string_view line = data.substr(from, to - from);
  return line.find("jit:allow") != std::string_view::npos || line.find("gitleaks:allow") != std::string_view::npos;
}

}  // namespace

std::string_view encoding_name(Encoding e) {
  switch (e) {
    case Encoding::base64: return "base64";
    case Encoding::hex: return "hex";
    case Encoding::percent: return "percent";
  }
  return "base64";
}

namespace {

// Percent-encoded tokens: the printable, unquoted text around each %XX escape (memchr is fast).
void percent_runs(std::string_view data, std::vector<EncodedRun>& out) {
  const char* d = data.data();
  const std::size_t n = data.size();
  for (std::size_t i = 0; i < n;) {
    const void* p = std::memchr(d + i, '%', n - i);
    if (!p) break;
    i = static_cast<std::size_t>(static_cast<const char*>(p) - d);
    if (!is_escape(data, i)) {
      ++i;
      continue;
    }
    std::size_t s = i;
    const std::size_t floor = i > kTokenBack ? i - kTokenBack : 0;
    while (s > floor && (out.empty() || s > out.back().end) && (cls(d[s - 1]) & kToken)) --s;
    std::size_t e = i;
    while (e < n && (cls(d[e]) & kToken)) ++e;
    if (e - s >= kMinPercentRun) out.push_back({s, e, Encoding::percent});
    i = e;
  }
}

#if defined(__SSE2__)
// Bit j set when p[j] is in the base64 alphabet (A-Z a-z 0-9 + / - _), for 64 bytes.
inline std::uint64_t b64_mask64(const char* p) {
  std::uint64_t m = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto range = [&v](char lo, char hi) {  // signed compares: bytes >= 0x80 are below every bound
      return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                           _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    auto eq = [&v](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    const __m128i r = _mm_or_si128(_mm_or_si128(_mm_or_si128(range('A', 'Z'), range('a', 'z')), range('0', '9')),
                                   _mm_or_si128(_mm_or_si128(eq('+'), eq('/')), _mm_or_si128(eq('-'), eq('_'))));
    m |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(r))) << (16 * k);
  }
  return m;
}
#endif

// The first p >= i where kMinBase64Run alphabet bytes begin (d[p - 1] is then outside the
// alphabet, or p == i), or n when there is none. Most bytes of source text are in the alphabet
// but in short runs: 64 bytes are classified at once and the runs found with shifts.
/// Given the alphabet masks of 128 bytes (bit j: byte j is in the alphabet), bit j of the
/// result for j < 64: bytes j .. j + 19 are all in it (16 from j, 4 from j + 16).
__extension__ using u128 = unsigned __int128;  // GCC and clang on 64-bit targets
inline std::uint64_t run_starts(std::uint64_t lo, std::uint64_t hi) {
  const u128 x = lo | (static_cast<u128>(hi) << 64);
  const u128 two = x & (x >> 1);
  const u128 four = two & (two >> 2);
  const u128 eight = four & (four >> 4);
  const u128 sixteen = eight & (eight >> 8);
  return static_cast<std::uint64_t>(sixteen & (four >> 16));
}

#if defined(__x86_64__)
/// The alphabet mask of 64 bytes with AVX2: a byte's class from two 16-entry tables indexed by
/// its low and high nibbles (one bit per high nibble 2..7 that has alphabet characters).
__attribute__((target("avx2"))) inline std::uint64_t b64_mask64_avx2(const char* p) {
  // Bits: 0 = 0x2_ (+ - /), 1 = 0x3_ (0-9), 2 = 0x4_ (A-O), 3 = 0x5_ (P-Z _), 4 = 0x6_ (a-o), 5 = 0x7_ (p-z).
  const __m256i by_low = _mm256_setr_epi8(0x2a, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3c, 0x15, 0x14, 0x15,
                                          0x14, 0x1d, 0x2a, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3c, 0x15,
                                          0x14, 0x15, 0x14, 0x1d);
  const __m256i by_high = _mm256_setr_epi8(0, 0, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02,
                                           0x04, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  std::uint64_t m = 0;
  for (int k = 0; k < 2; ++k) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
    const __m256i low = _mm256_shuffle_epi8(by_low, _mm256_and_si256(v, nibble));
    const __m256i high = _mm256_shuffle_epi8(by_high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
    const __m256i none = _mm256_cmpeq_epi8(_mm256_and_si256(low, high), _mm256_setzero_si256());
    m |= static_cast<std::uint64_t>(~static_cast<std::uint32_t>(_mm256_movemask_epi8(none))) << (32 * k);
  }
  return m;
}

__attribute__((target("avx2"))) std::size_t run_blocks_avx2(const char* d, std::size_t& i, std::size_t n) {
  std::uint64_t lo = b64_mask64_avx2(d + i);
  for (;;) {
    const std::uint64_t hi = b64_mask64_avx2(d + i + 64);
    if (const std::uint64_t starts = run_starts(lo, hi)) return i + static_cast<std::size_t>(__builtin_ctzll(starts));
    i += 64;
    if (i + 128 > n) return n;
    lo = hi;
  }
}

const bool kHasAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));  // init: this may run before libgcc's
#endif

// The first p >= i where kMinBase64Run alphabet bytes begin (d[p - 1] is then outside the
// alphabet, or p == i), or n when there is none. Most bytes of source text are in the alphabet
// but in short runs: 64 bytes are classified at once (AVX2 where the CPU has it, else SSE2) and
// the runs found with shifts.
std::size_t next_run_start(const char* d, std::size_t i, std::size_t n) {
  constexpr std::size_t k = kMinBase64Run;
  static_assert(k == 20, "the shifts below find runs of 20");
#if defined(__x86_64__)
  if (kHasAvx2 && i + 128 <= n) {
    const std::size_t found = run_blocks_avx2(d, i, n);
    if (found < n) return found;
  }
#endif
#if defined(__SSE2__)
  if (i + 128 <= n) {
    std::uint64_t lo = b64_mask64(d + i);
    for (;;) {
      const std::uint64_t hi = b64_mask64(d + i + 64);
      if (const std::uint64_t starts = run_starts(lo, hi)) return i + static_cast<std::size_t>(__builtin_ctzll(starts));
      i += 64;
      if (i + 128 > n) break;
      lo = hi;
    }
  }
#endif
  std::size_t run = 0;
  for (std::size_t p = i; p < n; ++p) {
    run = (cls(d[p]) & kB64) ? run + 1 : 0;
    if (run == k) return p + 1 - k;
  }
  return n;
}

}  // namespace

void find_encoded_runs(std::string_view data, std::vector<EncodedRun>& out) {
  const char* d = data.data();
  const std::size_t n = data.size();
  std::vector<EncodedRun> percent;
  if (std::memchr(d, '%', n)) percent_runs(data, percent);
  std::size_t next_percent = 0;
  auto push = [&](const EncodedRun& run) {
    // Percent tokens take precedence over the base64/hex runs inside them.
    while (next_percent < percent.size() && percent[next_percent].end <= run.start) out.push_back(percent[next_percent++]);
    if (next_percent < percent.size() && percent[next_percent].start < run.end) return;
    out.push_back(run);
  };
  // Each run of at least kMinBase64Run (the shortest kind) alphabet bytes, from where the last
  // one's padding ended.
  constexpr std::size_t k = kMinBase64Run;
  std::size_t i = 0;
  while (i + k <= n) {
    const std::size_t start = next_run_start(d, i, n);
    if (start >= n) break;
    std::size_t end = start + k;
    while (end < n && (cls(d[end]) & kB64)) ++end;
    std::size_t after = end;
    while (after < n && after - end < 2 && d[after] == '=') ++after;  // padding
    i = after;
    const std::size_t len = end - start;
    const bool all_hex = std::all_of(d + start, d + end, [](char ch) { return (cls(ch) & kHex) != 0; });
    if (all_hex && len >= kMinHexRun) {
      push({start, end, Encoding::hex});
    } else if (len >= kMinHexRun + 2 && d[start] == '0' && (d[start + 1] == 'x' || d[start + 1] == 'X') &&
               std::all_of(d + start + 2, d + end, [](char ch) { return (cls(ch) & kHex) != 0; })) {
      push({start + 2, end, Encoding::hex});
    } else if (std::any_of(d + start, d + end, [](char ch) { return ch >= 'A' && ch <= 'Z'; }) &&
               std::any_of(d + start, d + end, [](char ch) { return ch >= 'a' && ch <= 'z'; })) {
      // Base64 of text always mixes cases (a quad's first character is I-Z or a-f for ASCII), so
      // snake_case or UPPER_CASE identifiers are not decoded at all.
      push({start, after, Encoding::base64});
    }
  }
  while (next_percent < percent.size()) out.push_back(percent[next_percent++]);
}

bool decode_run(std::string_view text, Encoding encoding, std::string& out) {
  bool ok = false;
  switch (encoding) {
    case Encoding::base64: ok = decode_base64(text, out); break;
    case Encoding::hex: ok = decode_hex(text, out); break;
    case Encoding::percent: ok = decode_percent(text, out); break;
  }
  return ok && mostly_printable(out);
}

void scan_encoded(std::string_view data, std::string_view path, std::size_t plain_first, DecodeBuffers& b,
                  const ScanDecoded& scan, std::vector<findings::Finding>& out, findings::ScanStats& stats) {
  b.runs.clear();
  find_encoded_runs(data, b.runs);
  if (b.runs.empty()) return;

  LineCursor lines(data);
  auto at = [&lines](std::size_t pos) {  // line and 1-based byte column, as plain findings count them
    lines.advance(pos);
    return std::pair<int, int>{lines.line(), static_cast<int>(pos - lines.line_start()) + 1};
  };
  std::vector<RunPosition> positions;  // per batch entry
  std::unordered_set<std::string> plain;           // secret hashes the plain text gave
  std::set<std::tuple<std::size_t, std::string, std::string>> in_run;  // (run, rule, hash) reported
  std::unordered_map<std::string, unsigned> occurrences;                // rule + hash -> count
  for (std::size_t i = plain_first; i < out.size(); ++i)
    if (out[i].secret) plain.insert(out[i].secret->secret_sha256);
  // One secret, one finding: a decoded finding whose encoded run a plain finding already covers
  // (a base64 private-key rule, a generic high-entropy value) is dropped, unless every plain
  // finding there is generic and the decoded one names the vendor: then the vendor's wins, as it
  // does between plain findings.
  const std::size_t plain_end = out.size();
  std::vector<bool> superseded(plain_end - plain_first, false);
  auto is_generic = [](const std::string& id) { return id.rfind("generic-", 0) == 0; };
  auto covered = [&](const RunPosition& p, const std::string& rule_id) {
    std::vector<std::size_t> overlapping;
    bool all_generic = true;
    for (std::size_t i = plain_first; i < plain_end; ++i) {
      const findings::Finding& g = out[i];
      if (g.line == 0) continue;
      const std::pair<int, int> gs{g.line, g.column};
      const std::pair<int, int> ge{g.end_line ? g.end_line : g.line, g.end_line ? g.end_column : g.column};
      if (ge < std::pair<int, int>{p.line, p.column} || std::pair<int, int>{p.end_line, p.end_column} < gs)
        continue;
      overlapping.push_back(i);
      all_generic = all_generic && is_generic(g.rule_id);
    }
    if (overlapping.empty()) return false;
    if (!all_generic || is_generic(rule_id)) return true;
    for (std::size_t i : overlapping) superseded[i - plain_first] = true;
    return false;
  };

  auto flush = [&] {
    if (b.batch.empty()) return;
    b.found.clear();
    scan(b.batch, b.found, stats);
    for (auto& f : b.found) {
      if (!f.secret) continue;
      // The batch entry holding the finding: the last one starting at or before its line.
      auto it = std::upper_bound(b.line_offsets.begin(), b.line_offsets.end(), static_cast<std::size_t>(f.line));
      const std::size_t entry = static_cast<std::size_t>(it - b.line_offsets.begin()) - 1;
      const std::size_t run_index = b.batch_runs[entry];
      const EncodedRun& run = b.runs[run_index];
      const std::string& sha = f.secret->secret_sha256;
      if (plain.count(sha)) continue;  // the plain text already reported this secret
      if (!in_run.emplace(run_index, f.rule_id, sha).second) continue;  // overlapping windows
      if (line_suppressed(data, run)) {
        ++stats.suppressed;
        continue;
      }
      const RunPosition& p = positions[entry];
      if (covered(p, f.rule_id)) continue;
      f.line = p.line;
      f.column = p.column;
      f.end_line = p.end_line;
      f.end_column = p.end_column;
      std::string name(encoding_name(run.encoding));
      f.secret->encoding = f.secret->encoding.empty() ? name : name + "/" + f.secret->encoding;
      unsigned& seen = occurrences[f.rule_id + '\0' + sha];
      f.fingerprint = secret_fingerprint(f.rule_id, path, sha, seen++);
      out.push_back(std::move(f));
    }
    b.batch.clear();
    b.batch_runs.clear();
    b.line_offsets.clear();
    positions.clear();
  };

  std::size_t batch_line = 1;
  for (std::size_t r = 0; r < b.runs.size(); ++r) {
    const EncodedRun& run = b.runs[r];
    RunPosition pos;
    bool located = false;
    // Long runs are decoded in overlapping windows aligned to the encoding's unit.
    const std::size_t unit = run.encoding == Encoding::base64 ? 4 : run.encoding == Encoding::hex ? 2 : 1;
    for (std::size_t ws = run.start; ws < run.end;) {
      std::size_t we = std::min(run.end, ws + kWindow);
      if (run.encoding == Encoding::percent && we < run.end) {  // never cut an escape in two
        if (data[we - 1] == '%') we -= 1;
        else if (data[we - 2] == '%') we -= 2;
      }
      if (b.batch.empty()) batch_line = 1;
      if (decode_run(data.substr(ws, we - ws), run.encoding, b.decoded)) {
        if (!located) {
          std::tie(pos.line, pos.column) = at(run.start);
          std::tie(pos.end_line, pos.end_column) = at(run.end - 1);
          located = true;
        }
        b.batch_runs.push_back(r);
        b.line_offsets.push_back(batch_line);
        positions.push_back(pos);
        b.batch += b.decoded;
        b.batch += '\n';
        batch_line += 1 + static_cast<std::size_t>(std::count(b.decoded.begin(), b.decoded.end(), '\n'));
        if (b.batch.size() >= kBatchLimit) flush();
      }
      if (we >= run.end) break;
      const std::size_t step = std::max(unit, (we - ws - std::min(we - ws, kWindowOverlap)) / unit * unit);
      ws += step;
    }
  }
  flush();
  // Drop the generic plain findings a vendor's decoded finding replaced (order kept).
  std::size_t keep = plain_first;
  for (std::size_t i = plain_first; i < out.size(); ++i) {
    if (i < plain_end && superseded[i - plain_first]) continue;
    if (keep != i) out[keep] = std::move(out[i]);
    ++keep;
  }
  out.resize(keep);
}

}  // namespace agent::controls::secrets
