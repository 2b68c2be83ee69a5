#include <catch2/catch_test_macros.hpp>

#include "agent/cli/ci_variables.h"

using agent::cli::choose_variable;
using agent::cli::VariableChoice;
using agent::gitlab::CiVariable;

namespace {
CiVariable var(const std::string& key, bool masked, bool is_protected, const std::string& type = "env_var") {
  CiVariable v;
  v.key = key;
  v.masked = masked;
  v.is_protected = is_protected;
  v.variable_type = type;
  return v;
}
}  // namespace

TEST_CASE("masked and hidden variables are always looked for, whatever their value looks like") {
  CHECK(choose_variable(var("DEPLOY_ENV", true, false), "production") == VariableChoice::kept);
  CiVariable hidden = var("X", false, false);
  hidden.hidden = true;
  CHECK(choose_variable(hidden, "changeme123") == VariableChoice::kept);  // a placeholder is still the real value
}

TEST_CASE("a protected-only variable is looked for when its key or its value says secret") {
  CHECK(choose_variable(var("AWS_DEFAULT_REGION", false, true), "eu-central-1") == VariableChoice::not_secret);
  CHECK(choose_variable(var("DB_HOST", false, true), "db.internal.example.com") == VariableChoice::not_secret);
  CHECK(choose_variable(var("DB_PASSWORD", false, true), "correcthorse") == VariableChoice::kept);
  CHECK(choose_variable(var("SIGNING_KEY", false, true), "abcdefghij") == VariableChoice::kept);
  CHECK(choose_variable(var("OPAQUE", false, true), "Zq8rT2mVx7LpK4nW9sYbC3") == VariableChoice::kept);
  CHECK(choose_variable(var("SETTINGS", false, false, "file"), "debug: true\nlevel: info\n") == VariableChoice::not_secret);
}

TEST_CASE("variables neither masked nor protected, short values and missing values are left out") {
  CHECK(choose_variable(var("API_TOKEN", false, false), "abcdefghijklmnop") == VariableChoice::not_secret);
  CHECK(choose_variable(var("API_TOKEN", true, false), "1234567") == VariableChoice::too_short);
  CHECK(choose_variable(var("API_TOKEN", true, false), "   ") == VariableChoice::no_value);
}
