#pragma once
// An object-database backend for libgit2 that reads packed objects with PackReader (libdeflate,
// one mapping per pack shared with the history scan's own readers), put in front of libgit2's own
// backends. The history walk's commit-graph walk (git_revwalk) reads every commit through libgit2;
// with zlib that was most of the first seconds of a history scan, with one core busy. What this
// backend cannot read (a loose object, an entry it refuses) it reports as not found, and libgit2's
// own backends read it, so results are the same.
#include <git2.h>

namespace agent::checkout {

/// Adds the backend to `repo`'s object database (it stays for the repository's lifetime). Returns
/// false, leaving the repository as it was, when it cannot.
bool add_pack_backend(git_repository* repo);

}  // namespace agent::checkout
