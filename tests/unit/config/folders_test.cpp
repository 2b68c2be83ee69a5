#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "agent/config/folders.h"
#include "agent/util/error.h"

using namespace agent::config;
namespace fs = std::filesystem;

namespace {

std::string error_of(std::string_view yaml, const std::string& file = "jit-config.yml") {
  try {
    parse_folders(yaml, file);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("folders: Jit's format parses and normalises paths") {
  auto cfg = parse_folders(R"(
folders:
  - path: /service-a
    exclude: ["**/testdata/**", "*.min.js"]
  - path: service-b/
  - path: ./libs//shared
)",
                           "repo.yml");
  REQUIRE(cfg.folders.size() == 3);
  CHECK(cfg.folders[0].path == "/libs/shared");
  CHECK(cfg.folders[1].path == "/service-a");
  CHECK(cfg.folders[1].exclude == std::vector<std::string>{"**/testdata/**", "*.min.js"});
  CHECK(cfg.folders[1].line == 3);
  CHECK(cfg.folders[2].path == "/service-b");
  CHECK(cfg.configured());
  CHECK_FALSE(parse_folders("controls: {}\n", "x.yml").configured());
  CHECK_FALSE(parse_folders("", "x.yml").configured());
}

TEST_CASE("folders: errors name file:line:col") {
  CHECK(error_of("folders: 3\n").starts_with("jit-config.yml:1:10:"));
  CHECK(error_of("folders:\n  - exclude: [a]\n").starts_with("jit-config.yml:2:5:"));
  CHECK(error_of("folders:\n  - path: /a\n    name: x\n").starts_with("jit-config.yml:3:5:"));
  CHECK(error_of("folders:\n  - path: ../outside\n").starts_with("jit-config.yml:2:11:"));
  CHECK(error_of("folders:\n  - path: /a\n    exclude: \"**\"\n").starts_with("jit-config.yml:3:14:"));
  CHECK(error_of("folders:\n  - path: /a\n  - path: a/\n").find("listed twice") != std::string::npos);
  CHECK(error_of("folders: [\n").starts_with("jit-config.yml:"));
  CHECK(error_of("folders:\n  - path: [x]\n").find("expected a string") != std::string::npos);
}

TEST_CASE("folders: the repository's entry wins over the organisation's for the same path") {
  YAML::Node org = YAML::Load("- path: /svc\n  exclude: [org-only]\n- path: /legacy\n");
  YAML::Node repo = YAML::Load("- path: svc\n  exclude: [repo-only]\n");
  auto cfg = merge_folders({{"org.yml", org}, {"repo.yml", repo}});
  REQUIRE(cfg.folders.size() == 2);
  CHECK(cfg.folders[0].path == "/legacy");
  CHECK(cfg.folders[0].file == "org.yml");
  CHECK(cfg.folders[1].path == "/svc");
  CHECK(cfg.folders[1].exclude == std::vector<std::string>{"repo-only"});
  CHECK(cfg.folders[1].file == "repo.yml");
}

TEST_CASE("folders: load_folders reads the org file and .jit/jit-config.yml") {
  std::random_device rd;
  fs::path root = fs::temp_directory_path() / ("jit-folders-" + std::to_string(rd()));
  fs::create_directories(root / ".jit");
  std::ofstream(root / "org.yml") << "folders:\n  - path: /a\n  - path: /b\n    exclude: [x]\n";
  std::ofstream(root / ".jit" / "jit-config.yml") << "folders:\n  - path: /b\n";
  auto cfg = load_folders(root / "org.yml", root);
  REQUIRE(cfg.folders.size() == 2);
  CHECK(cfg.folders[1].exclude.empty());
  CHECK_FALSE(load_folders(std::nullopt, root / "nowhere").configured());
  CHECK_THROWS_AS(load_folders(root / "missing.yml", root), agent::util::UsageError);
  fs::remove_all(root);
}

TEST_CASE("folders: a path belongs to the deepest folder; excludes are relative to it") {
  auto cfg = parse_folders(R"(
folders:
  - path: /
  - path: /services
  - path: /services/api
    exclude: ["**/testdata/**", "/generated"]
)",
                           "c.yml");
  REQUIRE(folder_for(cfg, "services/api/go.mod"));
  CHECK(folder_for(cfg, "services/api/go.mod")->path == "/services/api");
  CHECK(folder_for(cfg, "services/web/package-lock.json")->path == "/services");
  CHECK(folder_for(cfg, "services-old/go.mod")->path == "/");
  CHECK(folder_for(cfg, "go.mod")->path == "/");
  const Folder& api = *folder_for(cfg, "services/api/go.mod");
  CHECK(excluded_in(api, "services/api/x/testdata/go.mod"));
  CHECK(excluded_in(api, "services/api/generated/package-lock.json"));
  CHECK_FALSE(excluded_in(api, "services/api/go.mod"));
  auto only = parse_folders("folders:\n  - path: /svc\n", "c.yml");
  CHECK(folder_for(only, "other/go.mod") == nullptr);
  CHECK(folder_for(only, "svc") == nullptr);
}

TEST_CASE("folders: path normalisation") {
  CHECK(normalize_folder_path("/") == "/");
  CHECK_FALSE(normalize_folder_path("").has_value());
  CHECK(normalize_folder_path("a/b/") == "/a/b");
  CHECK(normalize_folder_path("/a/./b") == "/a/b");
  CHECK_FALSE(normalize_folder_path("/a/../b").has_value());
}
