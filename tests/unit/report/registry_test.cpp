#include <catch2/catch_test_macros.hpp>

#include <algorithm>

#include "agent/report/report.h"

namespace report = agent::report;

TEST_CASE("writer_for maps every format name to its writer") {
  CHECK(report::writer_for("text") == &report::write_text);
  CHECK(report::writer_for("json") == &report::write_json);
  CHECK(report::writer_for("sarif") == &report::write_sarif);
  CHECK(report::writer_for("gitlab") == &report::write_gitlab_secrets);
  CHECK(report::writer_for("gitlab-sast") == &report::write_gitlab_sast);
  CHECK(report::writer_for("codequality") == &report::write_codequality);
  CHECK(report::writer_for("nope") == nullptr);
  CHECK(report::writer_for("") == nullptr);
  CHECK(report::writer_for("JSON") == nullptr);
}

TEST_CASE("format_names lists every format the registry resolves") {
  auto names = report::format_names();
  REQUIRE(names.size() >= 5);
  for (const auto& n : {"text", "json", "sarif", "gitlab", "gitlab-sast", "codequality"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  for (const auto& n : names) CHECK(report::writer_for(n) != nullptr);
}
