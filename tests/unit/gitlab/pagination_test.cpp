#include <catch2/catch_test_macros.hpp>

#include "agent/gitlab/pagination.h"

using namespace agent::gitlab;

TEST_CASE("with_query adds or replaces a parameter") {
  CHECK(with_query("https://h/api/v4/x", "per_page", "100") == "https://h/api/v4/x?per_page=100");
  CHECK(with_query("https://h/x?sort=asc", "page", "2") == "https://h/x?sort=asc&page=2");
  CHECK(with_query("https://h/x?page=1&per_page=100", "page", "3") == "https://h/x?page=3&per_page=100");
}

TEST_CASE("link_rel reads GitLab's documented Link header") {
  std::string link =
      "<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel=\"prev\", "
      "<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3>; rel=\"next\", "
      "<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel=\"first\"";
  CHECK(link_rel(link, "next") == "https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3");
  CHECK(link_rel(link, "prev") == "https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3");
  CHECK(link_rel(link, "last").empty());
  CHECK(link_rel("", "next").empty());
}

TEST_CASE("origin_of normalises default ports and drops credentials") {
  CHECK(origin_of("https://GitLab.example.com/api/v4") == "https://gitlab.example.com:443");
  CHECK(origin_of("https://gitlab.example.com:443/x") == "https://gitlab.example.com:443");
  CHECK(origin_of("http://u:p@localhost:8080/x?y") == "http://localhost:8080");
  CHECK(origin_of("no scheme").empty());
}

TEST_CASE("next_page_url prefers Link, re-roots foreign origins, falls back to X-Next-Page") {
  HttpResponse r;
  r.headers = {{"link", "<https://gitlab.example.com/api/v4/projects?id_after=42&per_page=50>; rel=\"next\""}};
  CHECK(next_page_url(r, "https://gitlab.example.com/api/v4/projects?per_page=50", "https://gitlab.example.com/api/v4") ==
        "https://gitlab.example.com/api/v4/projects?id_after=42&per_page=50");
  // GitLab's external URL differs from the one we use: keep ours (the token never leaves it).
  CHECK(next_page_url(r, "http://127.0.0.1:9/api/v4/projects?per_page=50", "http://127.0.0.1:9/api/v4") ==
        "http://127.0.0.1:9/api/v4/projects?id_after=42&per_page=50");

  HttpResponse offset;
  offset.headers = {{"x-next-page", "3"}};
  CHECK(next_page_url(offset, "http://h/api/v4/x?per_page=100&page=2", "http://h/api/v4") ==
        "http://h/api/v4/x?per_page=100&page=3");

  HttpResponse last;
  last.headers = {{"x-next-page", ""}};
  CHECK(next_page_url(last, "http://h/api/v4/x", "http://h/api/v4").empty());
}
