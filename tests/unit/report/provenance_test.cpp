// History-scan provenance (Finding::provenance, ScanStats::commits_scanned/blobs_cached) in every
// format: what each adds, that commit text cannot forge terminal output or lines, and that a
// finding without provenance renders exactly as it did before provenance existed.
#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "unit/report/fixture.h"

using namespace agent::report;
using namespace agent::report::test;
using nlohmann::json;

namespace {

agent::findings::ScanResult without_provenance(agent::findings::ScanResult r) {
  for (auto& f : r.findings) f.provenance.reset();
  for (auto& f : r.ignored) f.provenance.reset();
  return r;
}

const json* vulnerability_for(const json& doc, const std::string& rule_id) {
  for (const auto& v : doc["vulnerabilities"])
    if (v["identifiers"][0]["value"] == rule_id) return &v;
  return nullptr;
}

const json* sarif_result_for(const json& doc, const std::string& rule_id) {
  for (const auto& r : doc["runs"][0]["results"])
    if (r["ruleId"] == rule_id) return &r;
  return nullptr;
}

/// `text` without the lines that start with `prefix`.
std::string drop_lines(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) != 0) out += line + '\n';
  return out;
}

}  // namespace

TEST_CASE("a finding without provenance renders as before: only the commit's own fields are added") {
  auto with = fixture_external();
  auto without = without_provenance(with);
  for (const auto& name : format_names()) {
    INFO("format " << name);
    Writer writer = writer_for(name);
    std::string a = render_with(writer, with, options());
    std::string b = render_with(writer, without, options());
    if (name == "text") {
      CHECK(drop_lines(a, "        commit ") == b);
    } else if (name == "json") {
      json doc = json::parse(a);
      for (auto& f : doc["findings"]) f["provenance"] = nullptr;
      CHECK(doc == json::parse(b));
    } else if (name == "gitlab") {
      json doc = json::parse(a);
      for (auto& v : doc["vulnerabilities"])
        for (const char* key : {"author", "date", "message"}) v["location"]["commit"].erase(key);
      CHECK(doc == json::parse(b));
    } else if (name == "sarif") {
      json doc = json::parse(a);
      for (auto& run : doc["runs"])
        for (auto& r : run["results"])
          for (const char* key : {"commitAuthor", "commitAuthorEmail", "commitDate", "commitSummary", "blob"})
            r["properties"].erase(key);
      CHECK(doc == json::parse(b));
    } else if (name == "html") {
      // The page shows the commit under the secret; without provenance it is not there.
      CHECK(a.find("Add data loader settings") != std::string::npos);
      CHECK(b.find("Add data loader settings") == std::string::npos);
      CHECK(b.find("89abcdef0123") != std::string::npos);  // the finding's own commit stays
    } else {
      CHECK(a == b);  // gitlab-sast, codequality, dependency scanning, CycloneDX: no place for it
    }
  }
}

TEST_CASE("gitlab: location.commit carries author with e-mail, date and message of the finding's commit") {
  json doc = json::parse(render_with(write_gitlab_secrets, fixture(), options()));
  const json* aws = vulnerability_for(doc, "aws-access-key-id");
  REQUIRE(aws);
  CHECK((*aws)["location"]["commit"] == json{{"sha", "89abcdef0123456789abcdef0123456789abcdef"},
                                             {"author", "Zo\xC3\xAB Dupr\xC3\xA9 <zoe@example.com>"},
                                             {"date", "2024-04-30T09:15:00Z"},
                                             {"message", "Add data loader settings"}});
  const json* evil = vulnerability_for(doc, "generic-password");
  REQUIRE(evil);
  CHECK((*evil)["location"]["commit"]["author"] == "Mallory Trusted Bot <mallory@evil.example>");
  CHECK((*evil)["location"]["commit"]["message"] ==
        "fix: rotate keys gnp.exe, all good, and a long tail that goes on past any sensible width");
  const json* pat = vulnerability_for(doc, "gitlab-pat");
  REQUIRE(pat);
  CHECK((*pat)["location"]["commit"] == json{{"sha", "0123456789abcdef0123456789abcdef01234567"}});
}

TEST_CASE("gitlab: provenance without the finding's sha is left out, not pinned on HEAD") {
  auto r = fixture();
  r.findings[0].commit.clear();  // the AWS key: provenance but no sha
  json doc = json::parse(render_with(write_gitlab_secrets, r, options()));
  const json* aws = vulnerability_for(doc, "aws-access-key-id");
  REQUIRE(aws);
  CHECK((*aws)["location"]["commit"] == json{{"sha", r.commit_sha}});
}

TEST_CASE("gitlab: an author with only an e-mail, or with neither, and empty fields") {
  auto r = fixture();
  r.findings[0].provenance = commit_detail("", "ci@example.com", "", "  ", "");
  json doc = json::parse(render_with(write_gitlab_secrets, r, options()));
  CHECK((*vulnerability_for(doc, "aws-access-key-id"))["location"]["commit"] ==
        json{{"sha", "89abcdef0123456789abcdef0123456789abcdef"}, {"author", "<ci@example.com>"}});
  r.findings[0].provenance = commit_detail("", "", "", "", "");
  doc = json::parse(render_with(write_gitlab_secrets, r, options()));
  CHECK((*vulnerability_for(doc, "aws-access-key-id"))["location"]["commit"] ==
        json{{"sha", "89abcdef0123456789abcdef0123456789abcdef"}});
}

TEST_CASE("sarif: result properties name the commit, its author, date, summary and the blob") {
  json doc = json::parse(render_with(write_sarif, fixture(), options()));
  const json* aws = sarif_result_for(doc, "aws-access-key-id");
  REQUIRE(aws);
  const json& props = (*aws)["properties"];
  CHECK(props["commit"] == "89abcdef0123456789abcdef0123456789abcdef");
  CHECK(props["commitAuthor"] == "Zo\xC3\xAB Dupr\xC3\xA9");
  CHECK(props["commitAuthorEmail"] == "zoe@example.com");
  CHECK(props["commitDate"] == "2024-04-30T09:15:00Z");
  CHECK(props["commitSummary"] == "Add data loader settings");
  CHECK(props["blob"] == "1111111111111111111111111111111111111111");
  CHECK((*aws)["partialFingerprints"] == json{{"jitFingerprint/v1", fixture().findings[0].fingerprint}});
  const json* pat = sarif_result_for(doc, "gitlab-pat");
  REQUIRE(pat);
  CHECK_FALSE((*pat)["properties"].contains("commitAuthor"));
  CHECK_FALSE((*pat)["properties"].contains("blob"));
}

TEST_CASE("sarif: versionControlProvenance only with an absolute repository URI and a revision") {
  auto r = fixture();
  json doc = json::parse(render_with(write_sarif, r, options()));
  CHECK_FALSE(doc["runs"][0].contains("versionControlProvenance"));  // root "." is no repository URI
  r.root = "https://gitlab.example.com/group/project.git";
  doc = json::parse(render_with(write_sarif, r, options()));
  CHECK(doc["runs"][0]["versionControlProvenance"] ==
        json::array({{{"repositoryUri", "https://gitlab.example.com/group/project.git"},
                      {"revisionId", "0123456789abcdef0123456789abcdef01234567"},
                      {"mappedTo", {{"uriBaseId", "%SRCROOT%"}}}}}));
  for (const char* root : {"group/project", "/builds/group/project", "c:/src/project", "C:\\src", "https:"}) {
    r.root = root;
    INFO("root " << root);
    CHECK_FALSE(json::parse(render_with(write_sarif, r, options()))["runs"][0].contains("versionControlProvenance"));
  }
  r.root = "https://gitlab.example.com/group/project.git";
  r.commit_sha.clear();
  CHECK_FALSE(json::parse(render_with(write_sarif, r, options()))["runs"][0].contains("versionControlProvenance"));
}

TEST_CASE("json: provenance object per finding, null parts when unknown, and the history counters") {
  auto r = fixture();
  json doc = json::parse(render_with(write_json, r, options()));
  CHECK(doc["schema_minor"] == 5);
  CHECK(doc["stats"]["commits_scanned"] == 57);
  CHECK(doc["stats"]["blobs_cached"] == 9);
  for (const auto& f : doc["findings"]) {
    if (f["rule_id"] == "aws-access-key-id")
      CHECK(f["provenance"] == json{{"author_name", "Zo\xC3\xAB Dupr\xC3\xA9"},
                                    {"author_email", "zoe@example.com"},
                                    {"date", "2024-04-30T09:15:00Z"},
                                    {"summary", "Add data loader settings"},
                                    {"blob", "1111111111111111111111111111111111111111"}});
    else if (f["rule_id"] == "generic-password")
      CHECK(f["provenance"]["author_name"] == "Mallory Trusted Bot");
    else
      CHECK(f["provenance"].is_null());
  }
  r.findings[0].provenance = commit_detail("", "", "", "", "");
  doc = json::parse(render_with(write_json, r, options()));
  for (const auto& f : doc["findings"])
    if (f["rule_id"] == "aws-access-key-id")
      CHECK(f["provenance"] == json{{"author_name", nullptr}, {"author_email", nullptr}, {"date", nullptr},
                                    {"summary", nullptr}, {"blob", nullptr}});
  doc = json::parse(render_with(write_json, agent::findings::ScanResult{}, options()));
  CHECK(doc["stats"]["commits_scanned"] == 0);
  CHECK(doc["stats"]["blobs_cached"] == 0);
}

TEST_CASE("json: ignored findings keep their provenance") {
  auto r = fixture();
  auto f = r.findings[0];
  f.suppression = agent::findings::Suppression{"accepted_risk", "test key", "@dev", "ignores.yml:3", ""};
  r.ignored.push_back(f);
  json doc = json::parse(render_with(write_json, r, options()));
  REQUIRE(doc["ignored"].size() == 1);
  CHECK(doc["ignored"][0]["provenance"]["blob"] == "1111111111111111111111111111111111111111");
}

TEST_CASE("text: one commit line under the match, author's name only, one safe line, summary cut") {
  std::string text = render_with(write_text, fixture(), options());
  CHECK(text.find("  7:12  CRITICAL  conf high    aws-access-key-id  AWS access key ID             AKIA\xE2\x80\xA6\n"
                  "        commit 89abcdef0123 by Zo\xC3\xAB Dupr\xC3\xA9 on 2024-04-30: Add data loader settings\n") !=
        std::string::npos);
  CHECK(text.find("        commit fedcba987654 by Mallory Trusted Bot on 2023-12-31: fix: rotate keys gnp.exe, "
                  "all good, and a long tail that goes on past any\xE2\x80\xA6\n") != std::string::npos);
  CHECK(text.find("zoe@example.com") == std::string::npos);  // e-mail addresses stay out of logs
  CHECK(text.find("mallory@evil.example") == std::string::npos);
  CHECK(text.find("Reviewed-by") == std::string::npos);  // forged second lines are cut
  CHECK(text.find("Signed-off-by") == std::string::npos);
  CHECK(text.find("\xE2\x80\xAE") == std::string::npos);  // no bidi override
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find("Scanned:    42 files, 1.2 MiB (1234567 bytes), 57 commits, 9 cached blobs\n") != std::string::npos);
}

TEST_CASE("text: coloured commit line is dim and carries no escape of its own") {
  auto o = options();
  o.color = true;
  std::string text = render_with(write_text, fixture(), o);
  CHECK(text.find("        \x1b[2mcommit fedcba987654 by Mallory Trusted Bot on 2023-12-31: fix: rotate keys") !=
        std::string::npos);
  CHECK(text.find("\x1b]") == std::string::npos);
  CHECK(text.find("\x1b[2J") == std::string::npos);
}

TEST_CASE("text: what an incomplete provenance leaves out, and counters only when non-zero") {
  auto r = fixture();
  r.findings[0].provenance = commit_detail("", "zoe@example.com", "yesterday", "", "");
  r.findings[0].commit.clear();
  std::string text = render_with(write_text, r, options());
  CHECK(text.find("        commit\n") != std::string::npos);  // nothing but the fact it came from history
  CHECK(text.find("yesterday") == std::string::npos);
  r.stats.commits_scanned = 1;
  r.stats.blobs_cached = 0;
  text = render_with(write_text, r, options());
  CHECK(text.find("(1234567 bytes), 1 commit\n") != std::string::npos);
  r.stats.commits_scanned = 0;
  r.stats.blobs_cached = 1;
  text = render_with(write_text, r, options());
  CHECK(text.find("(1234567 bytes), 1 cached blob\n") != std::string::npos);
  text = render_with(write_text, agent::findings::ScanResult{}, options());
  CHECK(text.find("Scanned:    0 files, 0 B (0 bytes)\n") != std::string::npos);
}
