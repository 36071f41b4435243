#pragma once
// HsCache: compiled Hyperscan databases kept on disk between runs, so a
// large rule set starts in a fraction of its compile time.
//
// An entry is named by a SHA-256 key of everything that decides the compiled
// bytes: the entry format, the Hyperscan version, the platform Hyperscan
// compiles for (CPU features and tuning), and the caller's description of
// its patterns (bytes, flags, ids, mode). Same key, same database; any
// change is a different file. Old entries are never read again.
//
// Nothing read from the cache is trusted: a file must carry the magic, the
// format version, its own key and a SHA-256 of its payload that matches, and
// be owned by this user and not writable by others, before its bytes are
// handed to Hyperscan. A file that fails any check is reported (warnings()),
// ignored, and rewritten by the caller's fresh compile. Writes go to a
// temporary file renamed into place, so a reader sees a whole entry or none.
//
// Used while an engine is compiled (one thread); not thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::detect {

struct HsCacheStats {
  uint64_t hits = 0;       // entries loaded
  uint64_t misses = 0;     // no entry: compiled and stored
  uint64_t rejected = 0;   // entries found bad (corrupt, truncated, foreign, unsafe)
  uint64_t writes = 0;     // entries stored
  uint64_t write_errors = 0;
  double seconds = 0;      // reading, checking and writing entries
};

class HsCache {
 public:
  using Key = std::array<uint8_t, 32>;

  // `dir` is created (mode 0700) when missing. An empty dir disables the
  // cache: every Load misses and Store does nothing.
  explicit HsCache(std::string dir);

  // The default directory: $XDG_CACHE_HOME/kagami, else /var/cache/kagami
  // for root, else $HOME/.cache/kagami; empty when none can be named.
  static std::string DefaultDir();

  bool enabled() const { return !dir_.empty(); }
  const std::string& dir() const { return dir_; }

  // The key of `description` (the caller's canonical bytes for its
  // patterns) on this Hyperscan and this platform.
  static Key KeyOf(std::string_view description);

  // The payload stored under `key`, checked; nullopt when there is none or
  // it failed a check (then a warning says why).
  std::optional<std::string> Load(const Key& key);
  // The checks Load makes on the bytes of a file read for `key`: the magic,
  // the format, the key inside, the payload length and the payload's SHA-256.
  // Returns the payload (a view of the end of `file`), or nullopt with the
  // reason in `why` (the words Load's warning gives). Load runs it on every
  // file it reads, after its own checks on the file (a regular file, owned
  // by this user, not writable by others).
  static std::optional<std::string_view> ParseEntry(const Key& key, std::string_view file, std::string* why);
  // Stores `payload` under `key`; a failure is a warning, never an error:
  // the engine is already compiled.
  void Store(const Key& key, std::string_view payload);

  // The caller found a payload Load returned unusable (it checked out but
  // does not fit what the caller asked for): counted as a rejected entry and
  // reported; the caller's compile rewrites it.
  void Unusable(const Key& key, std::string_view why);

  const HsCacheStats& stats() const { return stats_; }
  // Problems met so far, one line each (the path and what was wrong).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::string PathOf(const Key& key) const;
  void Warn(std::string message);
  // An entry found bad: counted (rejected, and a miss) and reported.
  void Rejected(const std::string& path, std::string_view why);

  std::string dir_;
  bool dir_ready_ = false;   // created or found
  bool dir_failed_ = false;  // could not be created: reported once
  HsCacheStats stats_;
  std::vector<std::string> warnings_;
};

}  // namespace kagami::detect
