// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without libFuzzer, for the normal
// test suite: every regular file under the folders given (missing folders are skipped). Then, with
// --mutate N, N more inputs made by mutating those (random bit flips, byte changes, inserts,
// erasures, duplicated ranges, tokens that parsers treat specially, splices of two inputs,
// truncations), from a fixed --seed so a run is the same on every machine. This is not
// coverage-guided (scripts/fuzz.sh is): it gives CI a short, bounded, deterministic fuzzing run of
// every target with the compiler (and, in a -DJIT_SANITIZE=ON build, the sanitizers) CI has.
// A crash, a sanitizer report or an escaping exception kills the process: the input that did it is
// written first to ./replay-crash-<target> and its bytes printed (hex) on stderr.
// Usage: fuzz_replay_<target> [--mutate N] [--seed S] DIR_OR_FILE...   Exit 0 when every input ran.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)());

namespace {

// The input being run, for the crash handlers (plain globals: read from a signal handler).
const std::string* g_current = nullptr;
const char* g_target = "target";
bool g_saved = false;

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Async-signal-safe: open/write/close only, no allocation.
void save_current() {
  if (g_saved || g_current == nullptr) return;
  g_saved = true;
  char path[256] = "replay-crash-";
  std::strncat(path, g_target, sizeof(path) - std::strlen(path) - 1);
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    write_all(fd, g_current->data(), g_current->size());
    ::close(fd);
  }
  static const char hex[] = "0123456789abcdef";
  const char head[] = "\nfuzz replay: the input that failed (also in ./replay-crash-<target>), hex:\n";
  write_all(2, head, sizeof(head) - 1);
  const std::size_t n = std::min<std::size_t>(g_current->size(), 4096);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>((*g_current)[i]);
    const char pair[2] = {hex[b >> 4], hex[b & 15]};
    write_all(2, pair, 2);
  }
  write_all(2, "\n", 1);
}

void on_signal(int sig) {
  save_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

/// Tokens that parsers of JSON, YAML, TOML, diffs and HTTP headers treat specially.
const std::vector<std::string_view> kTokens = {
    "{",      "}",    "[",      "]",     ":",    ": ",     ",",        "\"",       "'",    "\\",
    "\n",     "\r\n", "\t",     "- ",    "&a ",  "*a",     "!!binary ", "---\n",    "...\n", "~",
    "null",   "true", "0",      "-1",    "1e999", "18446744073709551616", "-9223372036854775809",
    "\\u0000", "\\ud800", "\x00", "\xff", "\xc3", "%00",   "#",        "@@ -1 +1 @@\n", "../",
    "=",      "==",   "[[",     "]]",    "<",    ">",      "${",       "glpat-",   "AKIA", "\"\":"};

std::string mutate(const std::vector<std::string>& inputs, std::mt19937_64& rng) {
  auto pick = [&rng](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  std::string s = inputs[pick(inputs.size())];
  const int rounds = 1 + static_cast<int>(pick(4));
  for (int r = 0; r < rounds; ++r) {
    const std::size_t at = pick(s.size() + 1);
    switch (pick(9)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // set a byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 2:  // insert random bytes
        s.insert(at, std::string(1 + pick(8), static_cast<char>(pick(256))));
        break;
      case 3:  // erase a range
        if (at < s.size()) s.erase(at, 1 + pick(std::min<std::size_t>(64, s.size() - at)));
        break;
      case 4: {  // duplicate a range
        if (s.empty()) break;
        const std::size_t from = pick(s.size());
        const std::size_t len = 1 + pick(std::min<std::size_t>(256, s.size() - from));
        s.insert(at, s.substr(from, len));
        break;
      }
      case 5:  // a special token
        s.insert(at, kTokens[pick(kTokens.size())]);
        break;
      case 6: {  // splice with another input
        const std::string& other = inputs[pick(inputs.size())];
        const std::size_t from = pick(other.size() + 1);
        s = s.substr(0, at) + other.substr(from);
        break;
      }
      case 7:  // truncate
        s.resize(at);
        break;
      default:  // change the mode byte (the targets' first byte)
        if (!s.empty()) s[0] = static_cast<char>(pick(256));
        break;
    }
    if (s.size() > 65536) s.resize(65536);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  namespace fs = std::filesystem;
  const std::string self = fs::path(argv[0]).filename().string();
  static std::string target = self.rfind("fuzz_replay_", 0) == 0 ? self.substr(12) : self;
  g_target = target.c_str();
  long mutations = 0;
  std::uint64_t seed = 1;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mutate" && i + 1 < argc) {
      mutations = std::strtol(argv[++i], nullptr, 10);
      continue;
    }
    if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
      continue;
    }
    fs::path p(a);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file()) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());  // the same order everywhere: mutations are reproducible
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_signal);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(save_current);
  std::set_terminate([] {
    save_current();
    std::abort();
  });

  std::vector<std::string> inputs;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    inputs.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    run(inputs.back());
  }
  std::cout << inputs.size() << " inputs replayed\n";
  if (mutations > 0 && !inputs.empty()) {
    std::mt19937_64 rng(seed);
    for (long i = 0; i < mutations; ++i) {
      const std::string m = mutate(inputs, rng);
      run(m);
    }
    std::cout << mutations << " mutated inputs run (seed " << seed << ")\n";
  }
  return 0;
}
