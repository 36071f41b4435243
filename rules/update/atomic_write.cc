#include "rules/update/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kagami::rules::update {

namespace {

std::string SystemError(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseNameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool WriteFileAtomically(const std::string& path, std::string_view contents, std::string* error) {
  if (path.empty() || path.back() == '/') {
    *error = "not a file name: '" + path + "'";
    return false;
  }
  const std::string dir = DirectoryOf(path);
  // A dot file beside the target: same file system (rename stays atomic),
  // and a rule directory loaded as "*.rules" does not pick it up.
  std::string temp = dir + "/." + BaseNameOf(path) + ".tmp.XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    *error = SystemError("cannot create a temporary file in", dir);
    return false;
  }
  temp.assign(name.data());
  auto fail = [&](std::string why) {
    ::close(fd);
    ::unlink(temp.c_str());
    *error = std::move(why);
    return false;
  };
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  if (::fchmod(fd, mode) != 0) return fail(SystemError("cannot set the mode of", temp));
  if (!WriteAll(fd, contents)) return fail(SystemError("cannot write", temp));
  if (::fsync(fd) != 0) return fail(SystemError("cannot fsync", temp));
  if (::close(fd) != 0) {
    *error = SystemError("cannot close", temp);
    ::unlink(temp.c_str());
    return false;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    *error = SystemError("cannot rename " + temp + " to", path);
    ::unlink(temp.c_str());
    return false;
  }
  // The rename is done: the target is the new file whatever follows. The
  // directory's fsync makes it survive a crash; some file systems refuse
  // it (EINVAL), and failing now would tell the caller the old file is
  // still in place, so its result is ignored.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace kagami::rules::update
