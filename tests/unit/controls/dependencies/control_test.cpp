#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/controls/dependencies/osv_import.h"

using namespace agent::controls;
using namespace agent::controls::dependencies;
using agent::findings::ScanResult;
using agent::findings::Severity;
namespace fs = std::filesystem;

namespace {

struct Repo {
  fs::path root;
  fs::path db_dir;
  std::vector<std::string> paths;

  Repo() {
    std::random_device rd;
    fs::path base = fs::temp_directory_path() / ("jit-control-test-" + std::to_string(rd()));
    root = base / "repo";
    db_dir = base / "db";
    fs::create_directories(root);
  }
  ~Repo() { fs::remove_all(root.parent_path()); }

  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
    paths.push_back(rel);
  }

  void make_db() {
    OsvDbWriter w(db_dir);
    ImportStats stats;
    import_json_text(w, R"({"id": "GO-2020-0001", "modified": "2024-05-20T16:03:47Z",
      "aliases": ["CVE-2020-36567", "GHSA-6vm3-jj99-7229"], "summary": "Arbitrary log line injection",
      "affected": [{"package": {"name": "github.com/gin-gonic/gin", "ecosystem": "Go"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.6.0"}]}]}]})",
                     "go.json", "import", stats);
    import_json_text(w, R"({"id": "PYSEC-2021-1", "modified": "2024-01-01T00:00:00Z",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
      "details": "Django SQL injection",
      "affected": [{"package": {"name": "Django", "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}, {"fixed": "3.2.5"}, {"introduced": "4.0"}, {"fixed": "4.0.2"}]}]}]})",
                     "py.json", "import", stats);
    import_json_text(w, R"({"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "summary": "prototype pollution",
      "database_specific": {"severity": "LOW"},
      "affected": [{"package": {"name": "left-pad", "ecosystem": "npm"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})",
                     "npm.json", "import", stats);
    REQUIRE(stats.skipped == 0);
    w.commit();
  }

  ScanInput input() const {
    ScanInput in;
    in.root = root;
    std::vector<std::string> sorted = paths;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& p : sorted) in.files.push_back({p, root / p, fs::file_size(root / p)});
    in.jobs = 2;
    in.commit_sha = "abc123";
    return in;
  }
};

const char* kGoMod = "module example.com/svc\n\ngo 1.21\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.5.0\n)\n";
const char* kRequirements = "# pinned\nDjango==3.2.0\nrequests==2.31.0\n";
const char* kPackageLock = R"({"name": "web", "lockfileVersion": 3, "packages": {
  "": {"name": "web", "dependencies": {"left-pad": "^1.0.0"}},
  "node_modules/left-pad": {"version": "1.3.0"}}})";

const agent::findings::Finding* find(const ScanResult& r, const std::string& id, const std::string& path) {
  for (const auto& f : r.findings) {
    if (f.rule_id == id && f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("control: lockfiles are matched and findings carry the dependency detail") {
  Repo repo;
  repo.write("svc/go.mod", kGoMod);
  repo.write("api/requirements.txt", kRequirements);
  repo.write("web/package-lock.json", kPackageLock);
  repo.write("web/node_modules/x/package-lock.json", kPackageLock);  // never scanned
  repo.write("README.md", "hello");
  repo.make_db();
  DependenciesControl control(repo.db_dir, {});
  CHECK(control.name() == "dependencies");
  ScanResult out;
  control.run(repo.input(), out);
  CHECK(out.warnings.empty());
  REQUIRE(out.findings.size() == 3);
  CHECK(control.lockfiles().size() == 3);

  const auto* go = find(out, "GO-2020-0001", "svc/go.mod");
  REQUIRE(go);
  CHECK(go->control == "dependencies");
  CHECK(go->line == 6);
  CHECK(go->commit == "abc123");
  REQUIRE(go->dependency);
  CHECK(go->dependency->package == "github.com/gin-gonic/gin");
  CHECK(go->dependency->version == "v1.5.0");
  CHECK(go->dependency->ecosystem == "Go");
  CHECK(go->dependency->fixed_version == "v1.6.0");  // in Go's spelling, as go.mod has it
  CHECK(go->dependency->aliases == std::vector<std::string>{"CVE-2020-36567", "GHSA-6vm3-jj99-7229"});
  CHECK(go->dependency->lockfile == "svc/go.mod");
  CHECK(go->dependency->folder == "/svc");
  CHECK(go->severity == Severity::unknown);
  CHECK(go->fingerprint == dependency_fingerprint("Go", "github.com/gin-gonic/gin", "v1.5.0", "GO-2020-0001", "svc/go.mod"));

  const auto* py = find(out, "PYSEC-2021-1", "api/requirements.txt");
  REQUIRE(py);
  CHECK(py->line == 2);
  CHECK(py->severity == Severity::high);  // 7.5 computed from the vector
  CHECK(py->dependency->cvss_score == 7.5);
  CHECK(py->dependency->fixed_version == "3.2.5");
  CHECK(py->description.find("Upgrade to 3.2.5") != std::string::npos);
  CHECK(py->dependency->severity_source == "cvss_v3");
  CHECK(py->dependency->severity_record == "PYSEC-2021-1");
  CHECK(py->dependency->fix_version == "3.2.5");
  CHECK(py->dependency->fix_resolves == std::vector<std::string>{"PYSEC-2021-1"});
  CHECK(go->dependency->severity_source == "none");
  CHECK(go->dependency->fix_version == "v1.6.0");

  const auto* npm = find(out, "GHSA-aaaa-bbbb-cccc", "web/package-lock.json");
  REQUIRE(npm);
  CHECK(npm->severity == Severity::low);  // the database's own field
  CHECK(npm->dependency->fixed_version.empty());
  CHECK(npm->description.find("No fix yet") != std::string::npos);
  CHECK(npm->dependency->severity_source == "database");
  CHECK(npm->dependency->fix_version.empty());
  CHECK(npm->dependency->fix_resolves.empty());

  // Same input, same fingerprints.
  ScanResult again;
  control.run(repo.input(), again);
  REQUIRE(again.findings.size() == out.findings.size());
  for (std::size_t i = 0; i < out.findings.size(); ++i) CHECK(again.findings[i].fingerprint == out.findings[i].fingerprint);
}

TEST_CASE("control: a malformed lockfile is a warning with its position; the others are scanned") {
  Repo repo;
  repo.write("a/package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
  repo.write("b/requirements.txt", kRequirements);
  repo.make_db();
  DependenciesControl control(repo.db_dir, {});
  ScanResult out;
  control.run(repo.input(), out);
  REQUIRE(out.findings.size() == 1);
  CHECK(out.findings[0].path == "b/requirements.txt");
  REQUIRE(out.warnings.size() == 1);
  CHECK(out.warnings[0].starts_with("a/package-lock.json:"));
  CHECK(out.warnings[0].find("lockfile skipped") != std::string::npos);
}

TEST_CASE("control: a lockfile of more than 250,000 packages is a warning; the others are scanned") {
  Repo repo;
  std::string pins;
  for (int i = 0; i <= 250'000; ++i) pins += "pkg-" + std::to_string(i) + "==1.0.0\n";
  repo.write("huge/requirements.txt", pins + "Django==3.2.0\n");
  repo.write("b/requirements.txt", kRequirements);
  repo.make_db();
  DependenciesControl control(repo.db_dir, {});
  ScanResult out;
  control.run(repo.input(), out);
  REQUIRE(out.findings.size() == 1);
  CHECK(out.findings[0].path == "b/requirements.txt");
  REQUIRE(out.warnings.size() == 1);
  CHECK(out.warnings[0] == "huge/requirements.txt: lockfile skipped: more than 250000 packages");
}

TEST_CASE("control: without a database, one clear warning and no findings") {
  Repo repo;
  repo.write("requirements.txt", kRequirements);
  DependenciesControl control(repo.db_dir, {});
  ScanResult out;
  control.run(repo.input(), out);
  CHECK(out.findings.empty());
  REQUIRE(out.warnings.size() == 1);
  CHECK(out.warnings[0] == "no OSV database at " + repo.db_dir.string() +
                               ": run `jit-agent db import` or `jit-agent db update`");
  CHECK(control.lockfiles().size() == 1);  // the inventory is still there for an SBOM
}

TEST_CASE("control: monorepo folders select, exclude and group lockfiles") {
  Repo repo;
  repo.write("service-a/go.mod", kGoMod);
  repo.write("service-a/testdata/requirements.txt", kRequirements);
  repo.write("service-a/sub/requirements.txt", kRequirements);
  repo.write("service-b/requirements.txt", kRequirements);
  repo.write("outside/package-lock.json", kPackageLock);
  repo.make_db();
  auto folders = agent::config::parse_folders(R"(
folders:
  - path: /service-a
    exclude: ["**/testdata/**"]
  - path: /service-b
)",
                                              "jit-config.yml");
  DependenciesControl control(repo.db_dir, folders);
  ScanResult out;
  control.run(repo.input(), out);
  REQUIRE(out.findings.size() == 3);
  CHECK(find(out, "GO-2020-0001", "service-a/go.mod")->dependency->folder == "/service-a");
  CHECK(find(out, "PYSEC-2021-1", "service-a/sub/requirements.txt")->dependency->folder == "/service-a");
  CHECK(find(out, "PYSEC-2021-1", "service-b/requirements.txt")->dependency->folder == "/service-b");
  CHECK_FALSE(find(out, "PYSEC-2021-1", "service-a/testdata/requirements.txt"));
  CHECK_FALSE(find(out, "GHSA-aaaa-bbbb-cccc", "outside/package-lock.json"));
}

TEST_CASE("control: npm-shrinkwrap.json wins over package-lock.json in the same folder, as in npm") {
  Repo repo;
  repo.write("web/package-lock.json", kPackageLock);
  repo.write("web/npm-shrinkwrap.json", kPackageLock);
  repo.write("other/package-lock.json", kPackageLock);  // no shrinkwrap beside it: scanned
  repo.make_db();
  DependenciesControl control(repo.db_dir, {});
  ScanResult out;
  control.run(repo.input(), out);
  std::vector<std::string> scanned;
  for (const auto& lf : control.lockfiles()) scanned.push_back(lf.parsed.path);
  std::sort(scanned.begin(), scanned.end());
  CHECK(scanned == std::vector<std::string>{"other/package-lock.json", "web/npm-shrinkwrap.json"});
  CHECK(out.findings.size() == 2);
}

TEST_CASE("fingerprints differ when any part differs") {
  auto a = dependency_fingerprint("npm", "a", "1.0.0", "GHSA-1", "package-lock.json");
  CHECK(a.size() == 64);
  CHECK(a != dependency_fingerprint("npm", "a", "1.0.1", "GHSA-1", "package-lock.json"));
  CHECK(a != dependency_fingerprint("npm", "a", "1.0.0", "GHSA-1", "web/package-lock.json"));
  CHECK(dependency_fingerprint("npm", "ab", "c", "x", "y") != dependency_fingerprint("npm", "a", "bc", "x", "y"));
}
