#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kagami {

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    *error = S_ISDIR(st.st_mode) ? "is a directory" : std::strerror(errno);
    close(fd);
    return false;
  }
  const bool ok = ReadToEnd(fd, S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0, out, error);
  close(fd);
  return ok;
}

bool ReadToEnd(int fd, size_t size_hint, std::string* out, std::string* error) {
  out->clear();
  // The size is a hint (a pipe or /proc file says 0); read to the end.
  out->resize(size_hint > 0 ? size_hint + 1 : 65536);
  size_t got = 0;
  for (;;) {
    if (got == out->size()) out->resize(out->size() * 2);
    const ssize_t n = read(fd, out->data() + got, out->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  return true;
}

}  // namespace kagami
