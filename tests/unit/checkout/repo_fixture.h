#pragma once
// A throw-away git repository built with the git CLI, for checkout tests.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace test {

class TempRepo {
 public:
  explicit TempRepo(const std::string& name, bool bare_copy = false)
      : dir_(std::filesystem::temp_directory_path() / ("jit-checkout-" + name + "-" + std::to_string(getpid()))) {
    (void)bare_copy;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    git("init -q -b main .");
  }
  ~TempRepo() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempRepo(const TempRepo&) = delete;
  TempRepo& operator=(const TempRepo&) = delete;

  /// Runs `git <args>` in the repository; throws on failure. Returns stdout (trimmed).
  std::string git(const std::string& args) const {
    std::filesystem::path out = dir_.string() + ".out";
    std::string cmd = "cd '" + dir_.string() + "' && GIT_CONFIG_NOSYSTEM=1 HOME='" + dir_.string() +
                      "' GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T "
                      "GIT_COMMITTER_EMAIL=t@example.com git " + args + " > '" + out.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(out);
    if (rc != 0) throw std::runtime_error("git " + args + " failed: " + text);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }
  void write(const std::string& path, const std::string& content) const {
    auto p = dir_ / path;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  }
  /// Commits everything; returns the new sha.
  std::string commit(const std::string& message) const {
    git("add -A");
    git("commit -q --allow-empty -m '" + message + "'");
    return git("rev-parse HEAD");
  }
  std::string git_dir() const { return (dir_ / ".git").string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace test
