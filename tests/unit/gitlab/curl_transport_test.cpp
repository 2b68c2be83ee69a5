// CurlTransport against a real loopback socket: what goes on the wire and what comes back.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <thread>

#include "agent/gitlab/http.h"
#include "agent/util/error.h"

using namespace agent::gitlab;
using Catch::Matchers::ContainsSubstring;

namespace {

/// Accepts one connection on 127.0.0.1, records the request, writes `reply` (or closes when empty).
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 1) == 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  /// The raw request (available after the client returned).
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    // Read headers, then Content-Length bytes of body.
    while (request_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    auto head_end = request_.find("\r\n\r\n");
    std::size_t want = 0;
    auto cl = request_.find("Content-Length: ");
    if (cl != std::string::npos && cl < head_end) want = std::stoul(request_.substr(cl + 16));
    while (head_end != std::string::npos && request_.size() < head_end + 4 + want) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    if (!reply_.empty()) (void)!send(c, reply_.data(), reply_.size(), 0);
    close(c);
  }

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("CurlTransport sends method, headers and body; parses status and headers") {
  OneShotServer server(
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Next-Page: 2\r\n"
      "Content-Length: 9\r\nConnection: close\r\n\r\n{\"id\":1}\n");
  CurlTransport t(TransportOptions{});
  HttpRequest r;
  r.method = "PUT";
  r.url = server.url("/api/v4/projects/1/notes/2");
  r.headers = {{"PRIVATE-TOKEN", "tok-123456"}, {"Content-Type", "application/json"}};
  r.body = R"({"body":"x"})";
  HttpResponse resp = t.perform(r);
  CHECK(resp.status == 201);
  CHECK(resp.body == "{\"id\":1}\n");
  CHECK(resp.header("X-Next-Page") == "2");
  CHECK(resp.header("content-type") == "application/json");
  std::string raw = server.request();
  CHECK_THAT(raw, ContainsSubstring("PUT /api/v4/projects/1/notes/2 HTTP/1.1"));
  CHECK_THAT(raw, ContainsSubstring("PRIVATE-TOKEN: tok-123456"));
  CHECK_THAT(raw, ContainsSubstring("{\"body\":\"x\"}"));
  CHECK(raw.find("Expect:") == std::string::npos);
}

TEST_CASE("CurlTransport: a POST without body sends Content-Length 0") {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  CurlTransport t(TransportOptions{});
  HttpRequest r;
  r.method = "POST";
  r.url = server.url("/x");
  CHECK(t.perform(r).status == 200);
  CHECK_THAT(server.request(), ContainsSubstring("Content-Length: 0"));
}

TEST_CASE("CurlTransport: a connection closed without a response is a NetworkError") {
  OneShotServer server("");
  CurlTransport t(TransportOptions{});
  HttpRequest r;
  r.url = server.url("/x?private_token=secret-in-query");
  try {
    t.perform(r);
    FAIL("expected NetworkError");
  } catch (const NetworkError& e) {
    CHECK_FALSE(e.tls());
    CHECK(e.sent());  // the request went out: a POST must not be repeated blindly
    CHECK(std::string(e.what()).find("secret-in-query") == std::string::npos);
  }
}

TEST_CASE("CurlTransport: connection refused is a NetworkError naming the host") {
  // Bind then close to get a port nobody listens on.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  CurlTransport t(TransportOptions{});
  HttpRequest r;
  r.url = "http://user:pw@127.0.0.1:" + std::to_string(port) + "/api";
  try {
    t.perform(r);
    FAIL("expected NetworkError");
  } catch (const NetworkError& e) {
    std::string what = e.what();
    CHECK_FALSE(e.sent());  // nothing reached a server: safe to repeat
    CHECK_THAT(what, ContainsSubstring("127.0.0.1"));
    CHECK(what.find("pw@") == std::string::npos);
  }
}

TEST_CASE("CurlTransport: an unreadable CA file is a RuntimeError naming it") {
  TransportOptions o;
  o.extra_ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(CurlTransport(o), agent::util::RuntimeError);
}

TEST_CASE("url helpers") {
  CHECK(url_encode("group/sub app") == "group%2Fsub%20app");
  CHECK(url_encode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(url_for_display("https://oauth2:tok@h/x?private_token=y#z") == "https://***@h/x");
}
