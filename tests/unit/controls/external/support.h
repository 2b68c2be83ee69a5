#pragma once
// Helpers for the external-control tests: temp dirs, scripts, scan inputs from a folder.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "agent/controls/control.h"
#include "agent/util/environment.h"

namespace external_test {

namespace fs = std::filesystem;

inline std::string data_dir() { return std::string(JIT_TEST_DATA_DIR) + "/external"; }

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "jit-ext-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Writes an executable /bin/sh script.
inline fs::path write_script(const fs::path& path, const std::string& body) {
  write_text(path, "#!/bin/sh\n" + body);
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  return path;
}

/// Every regular file under `root` (no symlinks), sorted, as checkout would list them.
inline agent::controls::ScanInput input_of(const fs::path& root) {
  agent::controls::ScanInput input;
  input.root = root;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink() || !it->is_regular_file()) continue;
    agent::util::FileEntry e;
    e.path = fs::relative(it->path(), root).generic_string();
    e.abs = it->path();
    e.size = it->file_size();
    input.files.push_back(e);
  }
  std::sort(input.files.begin(), input.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return input;
}

inline agent::util::Environment test_env(agent::util::Environment::Vars extra = {}) {
  extra.emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
  extra.emplace("HOME", "/tmp");
  extra.emplace("LANG", "C.UTF-8");
  return agent::util::Environment::from_map(std::move(extra));
}

}  // namespace external_test
