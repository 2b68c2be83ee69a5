#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "agent/util/error.h"
#include "agent/util/fs.h"

using namespace agent::util;
namespace fs = std::filesystem;

TEST_CASE("parse_size understands bytes and binary units") {
  CHECK(parse_size("4096") == 4096u);
  CHECK(parse_size("10MiB") == 10u << 20);
  CHECK(parse_size("500k") == 500u << 10);
  CHECK(parse_size("1G") == 1u << 30);
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("ten").has_value());
  CHECK_FALSE(parse_size("10 parsecs").has_value());
  CHECK_FALSE(parse_size("99999999999999999999").has_value());
}

TEST_CASE("format_size is human readable") {
  CHECK(format_size(812) == "812 B");
  CHECK(format_size(1536) == "1.5 KiB");
}

TEST_CASE("write_file_atomic replaces the file whole and creates folders") {
  fs::path dir = fs::temp_directory_path() / "jit-fs-test";
  fs::remove_all(dir);
  fs::path file = dir / "a" / "b.json";
  write_file_atomic(file, "first");
  write_file_atomic(file, "second");
  CHECK(read_file(file) == "second");
  CHECK(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator{}) == 1);
  CHECK_THROWS_AS(read_file(dir / "missing"), RuntimeError);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomic writes devices in place instead of replacing them") {
  write_file_atomic("/dev/null", "discarded");
  CHECK(fs::is_character_file("/dev/null"));
  CHECK_FALSE(fs::exists("/dev/null.tmp." + std::to_string(::getpid())));
}

TEST_CASE("TempDir: a private folder, removed with its contents; a bad base is an error naming it") {
  namespace fs = std::filesystem;
  fs::path kept;
  {
    agent::util::TempDir dir(fs::temp_directory_path(), "jit-test-");
    kept = dir.path();
    CHECK(fs::is_directory(kept));
    CHECK(kept.filename().string().rfind("jit-test-", 0) == 0);
    CHECK((fs::status(kept).permissions() & fs::perms::all) == fs::perms::owner_all);
    fs::create_directories(kept / "a" / "b");
    std::ofstream(kept / "a" / "b" / "report.json") << "{}";
  }
  CHECK_FALSE(fs::exists(kept));
  CHECK_THROWS_AS(agent::util::TempDir("/nonexistent/jit-test-base", "x-"), agent::util::RuntimeError);
}

TEST_CASE("is_regular_file_within refuses links and folders that lead out of the root") {
  const fs::path root = fs::temp_directory_path() / ("jit-fs-within-" + std::to_string(getpid()));
  const fs::path outside = root.string() + "-outside";
  fs::remove_all(root);
  fs::remove_all(outside);
  fs::create_directories(root / ".jit");
  fs::create_directories(root / "sub");
  fs::create_directories(outside / ".jit");
  std::ofstream(root / ".jit" / "jit-config.yml") << "exclude: []\n";
  std::ofstream(outside / ".jit" / "jit-config.yml") << "exclude: []\n";
  fs::create_symlink("/etc/passwd", root / "passwd.yml");
  fs::create_symlink(root / ".jit" / "jit-config.yml", root / "inner-link.yml");
  fs::create_symlink(outside / ".jit", root / "sub" / ".jit");
  CHECK(is_regular_file_within(root, ".jit/jit-config.yml"));
  CHECK_FALSE(is_regular_file_within(root, "passwd.yml"));
  CHECK_FALSE(is_regular_file_within(root, "inner-link.yml"));   // a link, even inside
  CHECK_FALSE(is_regular_file_within(root / "sub", ".jit/jit-config.yml"));  // through a linked folder
  CHECK_FALSE(is_regular_file_within(root, "missing.yml"));
  CHECK_FALSE(is_regular_file_within(root, ".jit"));
  CHECK_FALSE(is_regular_file_within(root, "../" + outside.filename().string() + "/.jit/jit-config.yml"));
  fs::remove_all(root);
  fs::remove_all(outside);
}
