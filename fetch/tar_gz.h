#pragma once
// ReadTarGz: the regular files of a .tar.gz (or plain .tar) archive held in
// memory, as rule tarballs (ET Open's emerging.rules.tar.gz, Snort's
// community rules) are published.
//
// Formats: POSIX ustar (with the name prefix), GNU tar's long names ('L')
// and base-256 sizes, pax extended headers ('x': path and size). Only
// regular files are returned; directories, links, devices and other entry
// types are passed over. Paths come as stored, less a leading "./"; an
// absolute path or one with a ".." component is an error, so that a caller
// writing the files out cannot be made to write outside its directory.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kagami::fetch {

struct TarEntry {
  std::string path;      // "rules/emerging-malware.rules"
  std::string contents;
};

// The regular files of `archive`, in archive order. A gzip file (told by
// its magic bytes) is decompressed first; `max_bytes` caps the tar itself
// (after decompression), which bounds what the entries can hold, so that a
// gzip bomb fails with ResourceExhausted instead of taking the memory.
//
// Malformed archives are InvalidArgument with the byte offset in the tar
// (after decompression): "tar: header at offset 1536: bad checksum",
// "tar: header at offset 0: entry "a.rules" of 9000 bytes runs past the
// end of the archive (88 bytes left)". The end-of-archive blocks may be
// missing (GNU tar accepts that too); what follows them is ignored.
absl::StatusOr<std::vector<TarEntry>> ReadTarGz(std::string_view archive, size_t max_bytes);

}  // namespace kagami::fetch
