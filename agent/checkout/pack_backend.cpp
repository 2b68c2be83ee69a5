#include "agent/checkout/pack_backend.h"

#include <git2/sys/odb_backend.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <new>

#include "agent/checkout/git.h"
#include "agent/checkout/pack_reader.h"

namespace agent::checkout {
namespace {

constexpr int kPriority = 100;  // before libgit2's packed (2) and loose (1) backends

struct Backend {
  git_odb_backend parent;  // first: libgit2 hands back this pointer
  std::shared_ptr<const PackStore> store;
  std::unique_ptr<PackReader> reader;
  std::mutex mutex;  // one repository may be read from several threads
};

int read(void** data, std::size_t* size, git_object_t* type, git_odb_backend* raw, const git_oid* id) {
  auto* self = reinterpret_cast<Backend*>(raw);
  std::lock_guard lock(self->mutex);
  const PackReader::Object obj = self->reader->read(*id);
  if (obj.status != PackReader::Status::ok) return GIT_ENOTFOUND;  // libgit2's own backends try
  void* out = git_odb_backend_data_alloc(raw, obj.data.size());
  if (!out) return -1;
  if (!obj.data.empty()) std::memcpy(out, obj.data.data(), obj.data.size());
  *data = out;
  *size = obj.data.size();
  *type = obj.type;
  return 0;
}

void release(git_odb_backend* raw) { delete reinterpret_cast<Backend*>(raw); }

}  // namespace

bool add_pack_backend(git_repository* repo) {
  auto store = PackStore::open(git_repository_path(repo));
  if (store->packs() == 0) return false;
  git_odb* odb_raw = nullptr;
  if (git_repository_odb(&odb_raw, repo) < 0) return false;
  OdbPtr odb(odb_raw);
  auto* backend = new (std::nothrow) Backend();
  if (!backend) return false;
  if (git_odb_init_backend(&backend->parent, GIT_ODB_BACKEND_VERSION) < 0) {
    delete backend;
    return false;
  }
  backend->store = std::move(store);
  // Commits and trees: small, read once each; a small cache serves trees stored as deltas.
  backend->reader = std::make_unique<PackReader>(*backend->store, std::size_t{4} << 20);
  backend->parent.read = read;
  backend->parent.free = release;
  if (git_odb_add_backend(odb.get(), &backend->parent, kPriority) < 0) {
    delete backend;
    return false;
  }
  return true;  // the database owns it now
}

}  // namespace agent::checkout
