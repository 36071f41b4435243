#include "engine/detect/hs_cache.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/read_file.h"

namespace kagami::detect {
namespace {

// File layout (host byte order: the platform is part of the key):
//   magic[8] "KAGAMIHS", u32 format, u32 zero, key[32], u64 payload length,
//   sha256(payload)[32], payload.
constexpr char kMagic[8] = {'K', 'A', 'G', 'A', 'M', 'I', 'H', 'S'};
constexpr uint32_t kFormat = 1;
constexpr size_t kHeaderSize = 8 + 4 + 4 + 32 + 8 + 32;
// ET Open's largest database is under 1 MB; a file past this is not ours.
constexpr uint64_t kMaxFile = uint64_t{1} << 30;

HsCache::Key Sha256(std::string_view a, std::string_view b = {}) {
  HsCache::Key out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  if (ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 && EVP_DigestUpdate(ctx, b.data(), b.size()) == 1) {
    EVP_DigestFinal_ex(ctx, out.data(), &len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string Hex(const HsCache::Key& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : key) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// mkdir -p with mode 0700 for what it creates.
bool MakeDirs(const std::string& dir, std::string* error) {
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = absl::StrCat("cannot create ", part, ": ", std::strerror(errno));
      return false;
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = absl::StrCat(dir, " is not a directory");
    return false;
  }
  return true;
}

class Timer {
 public:
  explicit Timer(double* total) : total_(total), t0_(std::chrono::steady_clock::now()) {}
  ~Timer() { *total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

 private:
  double* total_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

HsCache::HsCache(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string HsCache::DefaultDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return absl::StrCat(xdg, "/kagami");
  if (geteuid() == 0) return "/var/cache/kagami";
  if (const char* home = std::getenv("HOME"); home && home[0] == '/') return absl::StrCat(home, "/.cache/kagami");
  return "";
}

HsCache::Key HsCache::KeyOf(std::string_view description) {
  std::string context = absl::StrCat("kagami hyperscan cache ", kFormat, "\n", hs_version(), "\n");
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    Put(context, platform.tune);
    Put(context, platform.cpu_features);
  }
  Put(context, static_cast<uint32_t>(sizeof(void*)));
  return Sha256(context, description);
}

std::string HsCache::PathOf(const Key& key) const { return absl::StrCat(dir_, "/", Hex(key), ".hsdb"); }

void HsCache::Warn(std::string message) { warnings_.push_back(std::move(message)); }

std::optional<std::string> HsCache::Load(const Key& key) {
  if (!enabled()) return std::nullopt;
  Timer timer(&stats_.seconds);
  const std::string path = PathOf(key);
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) {  // no entry, or no directory yet
      ++stats_.rejected;
      Warn(absl::StrCat("hyperscan cache: ", path, ": cannot read: ", std::strerror(errno), "; compiling"));
    }
    ++stats_.misses;
    return std::nullopt;
  }
  auto fail = [&](std::string_view why) -> std::optional<std::string> {
    Rejected(path, why);
    return std::nullopt;
  };
  auto reject = [&](std::string_view why) {  // while the file is open
    close(fd);
    return fail(why);
  };
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return reject("not a regular file");
  // Bytes handed to Hyperscan must come from no one else.
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) return reject("not owned by this user or writable by others");
  if (static_cast<uint64_t>(st.st_size) < kHeaderSize) return reject("truncated header");
  if (static_cast<uint64_t>(st.st_size) > kMaxFile) return reject("larger than any database");
  std::string file, error;
  if (!ReadToEnd(fd, static_cast<size_t>(st.st_size), &file, &error)) return reject(error);
  close(fd);
  std::string why;
  const std::optional<std::string_view> payload = ParseEntry(key, file, &why);
  if (!payload) return fail(why);
  file.erase(0, file.size() - payload->size());  // the payload
  ++stats_.hits;
  return file;
}

std::optional<std::string_view> HsCache::ParseEntry(const Key& key, std::string_view file, std::string* why) {
  if (file.size() < kHeaderSize) {
    *why = "truncated header";
    return std::nullopt;
  }
  if (file.size() > kMaxFile) {
    *why = "larger than any database";
    return std::nullopt;
  }
  const char* p = file.data();
  uint32_t format = 0;
  std::memcpy(&format, p + 8, 4);
  Key stored_key;
  std::memcpy(stored_key.data(), p + 16, 32);
  uint64_t length = 0;
  std::memcpy(&length, p + 48, 8);
  Key digest;
  std::memcpy(digest.data(), p + 56, 32);
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) {
    *why = "not a Kagami cache file";
    return std::nullopt;
  }
  if (format != kFormat) {
    *why = absl::StrCat("format ", format, ", expected ", kFormat);
    return std::nullopt;
  }
  if (stored_key != key) {
    *why = "holds another key";
    return std::nullopt;
  }
  if (length != file.size() - kHeaderSize) {
    *why = absl::StrCat("payload of ", file.size() - kHeaderSize, " bytes where the header says ", length,
                        " (truncated or extended)");
    return std::nullopt;
  }
  const std::string_view payload = file.substr(kHeaderSize);
  if (Sha256(payload) != digest) {
    *why = "payload checksum mismatch";
    return std::nullopt;
  }
  return payload;
}

void HsCache::Unusable(const Key& key, std::string_view why) {
  --stats_.hits;
  Rejected(PathOf(key), why);
}

void HsCache::Rejected(const std::string& path, std::string_view why) {
  ++stats_.rejected;
  ++stats_.misses;
  Warn(absl::StrCat("hyperscan cache: ", path, ": ", std::string(why), "; ignored, compiling and rewriting it"));
}

void HsCache::Store(const Key& key, std::string_view payload) {
  if (!enabled() || dir_failed_) return;
  Timer timer(&stats_.seconds);
  if (!dir_ready_) {
    std::string error;
    if (!MakeDirs(dir_, &error)) {
      dir_failed_ = true;
      ++stats_.write_errors;
      Warn(absl::StrCat("hyperscan cache: ", error, "; databases are not cached"));
      return;
    }
    dir_ready_ = true;
  }
  std::string file(kMagic, sizeof kMagic);
  Put(file, kFormat);
  Put(file, uint32_t{0});
  file.append(reinterpret_cast<const char*>(key.data()), key.size());
  Put(file, static_cast<uint64_t>(payload.size()));
  const Key digest = Sha256(payload);
  file.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  file.append(payload);

  const std::string path = PathOf(key);
  std::string tmp = absl::StrCat(dir_, "/.tmp-XXXXXX");
  const int fd = mkstemp(tmp.data());
  auto failed = [&](const char* what) {
    ++stats_.write_errors;
    Warn(absl::StrCat("hyperscan cache: ", what, " ", path, ": ", std::strerror(errno)));
  };
  if (fd < 0) return failed("cannot write");
  size_t put = 0;
  while (put < file.size()) {
    const ssize_t n = write(fd, file.data() + put, file.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      failed("cannot write");
      close(fd);
      unlink(tmp.c_str());
      return;
    }
    put += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    failed("cannot write");
    unlink(tmp.c_str());
    return;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    failed("cannot rename into");
    unlink(tmp.c_str());
    return;
  }
  ++stats_.writes;
}

}  // namespace kagami::detect
