// Fuzz target: external tools' reports. Mode (first byte % 4): SARIF, GitLab SAST, bandit JSON,
// shellcheck json1. Parsed findings then go through convert() against a small scan root (paths
// confined, snippets read); every converted path must stay inside the root.
// Documented: ReportError (a util::Error).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/controls/external/convert.h"
#include "agent/controls/external/parsers.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

namespace ext = agent::controls::external;

/// A scan root with two files to take snippets from, removed at exit (the path is never
/// destroyed, so the exit handler can still read it).
const std::filesystem::path& scan_root() {
  static const std::filesystem::path* root = [] {
    char tmpl[] = "/tmp/jit-fuzz-root-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (!made) std::abort();
    auto* p = new std::filesystem::path(made);
    std::filesystem::create_directories(*p / "src");
    std::ofstream(*p / "src" / "app.py") << "import os\nos.system(input())\npassword = 'x'\n";
    std::ofstream(*p / "run.sh") << "#!/bin/sh\necho $1\nrm -rf $DIR/\n";
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scan_root(), ec);
    });
    return p;
  }();
  return *root;
}

constexpr const char* kFormats[] = {"sarif", "gitlab-sast", "bandit-json", "shellcheck-json1"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, 4);
  try {
    ext::ParsedReport report = ext::parse_report(kFormats[in.mode], in.text);
    ext::ConvertContext context;
    context.root = scan_root();
    context.control = "fuzz";
    ext::Converted converted = ext::convert(std::move(report.findings), context);
    for (const auto& f : converted.findings) {
      const std::string& p = f.path;
      if (p.empty() || p.front() == '/' || p == ".." || p.rfind("../", 0) == 0 ||
          p.find("/../") != std::string::npos ||
          (p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0)) {
        std::fprintf(stderr, "converted path leaves the root: '%s'\n", p.c_str());
        std::abort();
      }
    }
  } catch (const agent::util::Error&) {
  }
  return 0;
}
