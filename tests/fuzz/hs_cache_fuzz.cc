// Feeds arbitrary bytes to the Hyperscan database cache reader as a cache
// file: once through HsCache::Load, as the file of the entry it asks for in
// a cache directory of its own, and once through HsCache::ParseEntry on the
// fuzzer's own buffer (so ASan sees any read past its end). The two must
// agree: the same payload, or the same refusal counted once and reported
// with its reason. Nothing read is trusted: only a payload whose key and
// SHA-256 checked out is handed to hs_deserialize_database, as the prefilter
// does with the databases in it; a database Hyperscan accepts is scanned once.
//
// The expected key is fixed (bytes 0..31), not HsCache::KeyOf: that one
// depends on the Hyperscan version and the CPU, and the seeds must not. The
// seeds in corpus/hs_cache/ were written by HsCache::Store with that key;
// valid.hsdb holds a tiny database compiled for the generic platform.

#include <dirent.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "engine/detect/hs_cache.h"

namespace {

using kagami::detect::HsCache;

HsCache::Key FixedKey() {
  HsCache::Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

const HsCache::Key kKey = FixedKey();

struct CacheDir {
  std::string dir;
  std::string entry;  // the file Load(kKey) reads
};

std::string g_dir, g_entry;  // for the clean-up at exit

void RemoveCacheDir() {
  if (!g_entry.empty()) unlink(g_entry.c_str());
  if (!g_dir.empty()) rmdir(g_dir.c_str());
}

// One cache directory per process under /tmp. The entry's file name is the
// one the real writer gives it: an empty entry is stored once and looked up.
const CacheDir& Dir() {
  static const CacheDir d = [] {
    CacheDir c;
    std::string tmpl = "/tmp/hs_cache_fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    c.dir = tmpl;
    HsCache writer(c.dir);
    writer.Store(kKey, "");
    if (writer.stats().writes != 1) std::abort();
    DIR* dir = opendir(c.dir.c_str());
    if (dir == nullptr) std::abort();
    while (dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") {
        if (!c.entry.empty()) std::abort();
        c.entry = c.dir + "/" + name;
      }
    }
    closedir(dir);
    if (c.entry.empty()) std::abort();
    g_dir = c.dir;
    g_entry = c.entry;
    std::atexit(RemoveCacheDir);
    return c;
  }();
  return d;
}

// Rewrites the entry in place: same file, so it keeps the owner-only mode
// the writer gave it and passes Load's ownership checks. Written over, then
// cut to size: truncating to 0 first would make ext4 flush it on close.
bool WriteEntry(const std::string& path, const uint8_t* data, size_t size) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t put = 0;
  while (put < size) {
    const ssize_t n = pwrite(fd, data + put, size - put, static_cast<off_t>(put));
    if (n <= 0) {
      close(fd);
      return false;
    }
    put += static_cast<size_t>(n);
  }
  const bool ok = ftruncate(fd, static_cast<off_t>(size)) == 0;
  return close(fd) == 0 && ok;
}

int OnMatch(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<unsigned*>(ctx);
  return 0;
}

// A checked payload: what the prefilter would hand to Hyperscan.
void UsePayload(std::string_view payload) {
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(payload.data(), payload.size(), &db) != HS_SUCCESS) return;
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) == HS_SUCCESS) {
    static constexpr char kText[] = "a little evil-tcp in a packet";
    unsigned hits = 0;
    size_t stream_state = 0;
    if (hs_stream_size(db, &stream_state) != HS_SUCCESS) {  // block mode
      hs_scan(db, kText, sizeof kText - 1, 0, scratch, OnMatch, &hits);
    }
    hs_free_scratch(scratch);
  }
  hs_free_database(db);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const CacheDir& d = Dir();
  if (!WriteEntry(d.entry, data, size)) std::abort();
  HsCache cache(d.dir);
  const std::optional<std::string> loaded = cache.Load(kKey);

  std::string why;
  const std::optional<std::string_view> parsed =
      HsCache::ParseEntry(kKey, std::string_view(reinterpret_cast<const char*>(data), size), &why);

  const kagami::detect::HsCacheStats& s = cache.stats();
  if (loaded.has_value() != parsed.has_value()) std::abort();
  if (parsed) {
    // Checked: the payload is the end of the file, whole.
    if (*loaded != *parsed || parsed->data() + parsed->size() != reinterpret_cast<const char*>(data) + size) {
      std::abort();
    }
    if (s.hits != 1 || s.misses != 0 || s.rejected != 0 || !cache.warnings().empty()) std::abort();
    UsePayload(*parsed);
  } else {
    // Refused once, counted, and reported with the reason.
    if (why.empty() || s.hits != 0 || s.misses != 1 || s.rejected != 1) std::abort();
    if (cache.warnings().size() != 1 || cache.warnings()[0].find(": " + why + "; ignored") == std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
