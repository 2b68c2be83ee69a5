#include "agent/checkout/filter_transport.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "agent/checkout/git.h"
#include "agent/util/error.h"

namespace agent::checkout {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kAdvertisementPeek = 64 * 1024;
constexpr std::size_t kBlobsPerRequest = 4000;

struct WrappedStream {
  git_smart_subtransport_stream parent;  // first member: libgit2 hands us this pointer back
  git_smart_subtransport_stream* inner;
  RemoteSession* session;
  git_smart_service_t action;
};

struct WrappedSubtransport {
  git_smart_subtransport parent;  // first member, as above
  git_smart_subtransport* inner;
  RemoteSession* session;
};

int stream_read(git_smart_subtransport_stream* s, char* buffer, size_t size, size_t* bytes_read) {
  auto* w = reinterpret_cast<WrappedStream*>(s);
  int rc = w->inner->read(w->inner, buffer, size, bytes_read);
  if (rc == 0 && w->action == GIT_SERVICE_UPLOADPACK_LS && w->session->advertisement.size() < kAdvertisementPeek) {
    w->session->advertisement.append(buffer, *bytes_read);
    w->session->server_can_filter = advertises_partial_fetch(w->session->advertisement);
  }
  return rc;
}

int stream_write(git_smart_subtransport_stream* s, const char* buffer, size_t len) {
  auto* w = reinterpret_cast<WrappedStream*>(s);
  if (w->action == GIT_SERVICE_UPLOADPACK && w->session->want_filter && w->session->server_can_filter) {
    std::string body = add_blob_filter(std::string_view(buffer, len));
    if (body.size() != len) w->session->filtered = true;
    return w->inner->write(w->inner, body.data(), body.size());
  }
  return w->inner->write(w->inner, buffer, len);
}

void stream_free(git_smart_subtransport_stream* s) {
  auto* w = reinterpret_cast<WrappedStream*>(s);
  w->inner->free(w->inner);
  delete w;
}

int sub_action(git_smart_subtransport_stream** out, git_smart_subtransport* t, const char* url,
               git_smart_service_t action) {
  auto* w = reinterpret_cast<WrappedSubtransport*>(t);
  git_smart_subtransport_stream* inner = nullptr;
  int rc = w->inner->action(&inner, w->inner, url, action);
  if (rc < 0) return rc;
  if (action == GIT_SERVICE_UPLOADPACK_LS) w->session->advertisement.clear();
  auto* s = new WrappedStream{};
  s->parent.subtransport = t;
  s->parent.read = stream_read;
  s->parent.write = stream_write;
  s->parent.free = stream_free;
  s->inner = inner;
  s->session = w->session;
  s->action = action;
  *out = &s->parent;
  return 0;
}

int sub_close(git_smart_subtransport* t) {
  auto* w = reinterpret_cast<WrappedSubtransport*>(t);
  return w->inner->close(w->inner);
}

void sub_free(git_smart_subtransport* t) {
  auto* w = reinterpret_cast<WrappedSubtransport*>(t);
  w->inner->free(w->inner);
  delete w;
}

int make_subtransport(git_smart_subtransport** out, git_transport* owner, void* param) {
  git_smart_subtransport* inner = nullptr;
  int rc = git_smart_subtransport_http(&inner, owner, nullptr);
  if (rc < 0) return rc;
  auto* w = new WrappedSubtransport{};
  w->parent.action = sub_action;
  w->parent.close = sub_close;
  w->parent.free = sub_free;
  w->inner = inner;
  w->session = static_cast<RemoteSession*>(param);
  *out = &w->parent;
  return 0;
}

std::string pkt_line(std::string_view payload) {
  char len[5];
  std::snprintf(len, sizeof len, "%04zx", payload.size() + 4);
  return std::string(len, 4) + std::string(payload);
}

}  // namespace

int filtering_transport(git_transport** out, git_remote* owner, void* payload) {
  git_smart_subtransport_definition definition{make_subtransport, 1, payload};
  return git_transport_smart(out, owner, &definition);
}

std::string add_blob_filter(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 64);
  std::size_t pos = 0;
  bool first_want = true, in_wants = false, done = false;
  while (pos + 4 <= body.size()) {
    unsigned len = 0;
    if (std::sscanf(std::string(body.substr(pos, 4)).c_str(), "%4x", &len) != 1) break;
    if (len == 0) {  // flush: ends the wants/shallow/deepen section on its first occurrence
      if (in_wants && !done) {
        out += pkt_line("filter blob:none\n");
        done = true;
      }
      out += "0000";
      pos += 4;
      continue;
    }
    if (len < 4 || pos + len > body.size()) break;
    std::string_view line = body.substr(pos + 4, len - 4);
    if (line.rfind("want ", 0) == 0 && first_want) {
      std::string with_cap(line);
      bool nl = !with_cap.empty() && with_cap.back() == '\n';
      if (nl) with_cap.pop_back();
      with_cap += " filter";
      if (nl) with_cap += '\n';
      out += pkt_line(with_cap);
      first_want = false;
      in_wants = true;
    } else {
      out.append(body.substr(pos, len));
    }
    pos += len;
  }
  if (!done) return std::string(body);  // not a wants request we understand: leave it alone
  out.append(body.substr(pos));
  return out;
}

bool advertises_partial_fetch(std::string_view adv) {
  // Capabilities follow a NUL on the first ref line ("<oid> HEAD\0cap cap ...\n").
  auto nul = adv.find('\0');
  if (nul == std::string_view::npos) return false;
  auto end = adv.find('\n', nul);
  if (end == std::string_view::npos) return false;
  std::string caps = " " + std::string(adv.substr(nul + 1, end - nul - 1)) + " ";
  bool filter = caps.find(" filter ") != std::string::npos;
  bool by_id = caps.find(" allow-reachable-sha1-in-want ") != std::string::npos ||
               caps.find(" allow-tip-sha1-in-want ") != std::string::npos;
  return filter && by_id;
}

std::size_t fetch_blobs(const fs::path& git_dir, const std::string& url, RemoteSession& session,
                        const git_proxy_options& proxy, const std::vector<git_oid>& blobs) {
  if (blobs.empty()) return 0;
  fs::path temp = git_dir.string() + ".blobs-" + std::to_string(getpid());
  std::error_code ec;
  fs::remove_all(temp, ec);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{temp};
  git_repository* raw = nullptr;
  check(git_repository_init(&raw, temp.c_str(), 1), "temporary repository for blobs");
  RepositoryPtr repo(raw);
  std::ofstream(temp / "objects" / "info" / "alternates") << fs::absolute(git_dir / "objects").string() << '\n';
  repo = open_repository(temp.string());  // reopened: alternates are read when the odb loads

  std::size_t received = 0;
  for (std::size_t start = 0; start < blobs.size(); start += kBlobsPerRequest) {
    std::vector<std::string> specs;
    for (std::size_t i = start; i < std::min(blobs.size(), start + kBlobsPerRequest); ++i) specs.push_back(to_hex(blobs[i]));
    git_remote* remote_raw = nullptr;
    check(git_remote_create_anonymous(&remote_raw, repo.get(), url.c_str()), "remote");
    RemotePtr remote(remote_raw);
    git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
    opts.callbacks.credentials = credentials_callback;
    opts.callbacks.payload = &session;
    opts.callbacks.transfer_progress = [](const git_indexer_progress*, void*) { return 0; };
    opts.proxy_opts = proxy;
    opts.update_fetchhead = 0;
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    StrArray refspecs(std::move(specs));
    session.calls = 0;
    session.refused = false;
    int rc = git_remote_fetch(remote.get(), refspecs.get(), &opts, nullptr);
    if (rc < 0) throw util::RuntimeError(describe_remote_error(rc, session, url, "fetching files from"));
    received += git_remote_stats(remote.get())->received_objects;
  }
  // Hand the packs over to the mirror (same file system: renames).
  for (const auto& e : fs::directory_iterator(temp / "objects" / "pack", ec)) {
    fs::rename(e.path(), git_dir / "objects" / "pack" / e.path().filename(), ec);
    if (ec) throw util::RuntimeError("cannot move " + e.path().string() + " into the git cache: " + ec.message());
  }
  return received;
}

}  // namespace agent::checkout
