#pragma once
// Partial fetch (`filter blob:none`) with libgit2, which has no partial-clone support: a smart
// transport whose HTTP subtransport is libgit2's own, wrapped. The wrapper reads the ref
// advertisement (does the server offer `filter` and fetching objects by id?) and, when asked,
// adds the `filter` capability and a `filter blob:none` line to each upload-pack request, so the
// server sends commits and trees only. Blobs are then fetched by id for the folders that are
// read (fetch_blobs). Internal to checkout/.
#include <git2.h>
#include <git2/sys/transport.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent/checkout/transport.h"

namespace agent::checkout {

/// git_transport_cb for git_remote_callbacks.transport; the callbacks' payload must be the
/// RemoteSession (the credentials callback shares it).
int filtering_transport(git_transport** out, git_remote* owner, void* payload);

/// Rewrites one upload-pack request body: the `filter` capability on the first want line and
/// `filter blob:none` before the flush that ends the wants. Thin-pack deltas stay allowed: with
/// blob:none they are against trees, which a partial mirror has. Any other body is returned as is.
std::string add_blob_filter(std::string_view body);

/// True when a ref advertisement's capabilities offer `filter` and fetching objects by id.
bool advertises_partial_fetch(std::string_view advertisement);

/// Fetches `blobs` by id from the mirror's remote into the mirror at `git_dir`, through a
/// throw-away repository that borrows the mirror's objects (so no "have" is sent and the server
/// sends exactly these objects), then moves the received pack into the mirror.
/// Returns the number of objects received. Throws util::RuntimeError on failure.
std::size_t fetch_blobs(const std::filesystem::path& git_dir, const std::string& url, RemoteSession& session,
                        const git_proxy_options& proxy, const std::vector<git_oid>& blobs);

}  // namespace agent::checkout
