// Feeds arbitrary bytes to OpenCaptureFile as a file and reads every packet,
// touching each byte of each view so a view that points outside the mapping
// is caught by ASan. Readers must never crash, whatever the input.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "capture/packet_source.h"

namespace {

// One in-memory file reused for every input: readers take a path, and
// /proc/self/fd/N of a memfd is one without touching the disk.
int MemFd() {
  static const int fd = [] {
    const int f = memfd_create("pcap_reader_fuzz", MFD_CLOEXEC);
    if (f < 0) std::abort();
    return f;
  }();
  return fd;
}

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) return false;
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = MemFd();
  if (!WriteAll(fd, data, size)) std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto src = kagami::capture::OpenCaptureFile(path);
  if (!src.ok()) return 0;
  kagami::capture::PacketView v;
  uint64_t expected_index = 1;
  volatile uint8_t sink = 0;
  for (;;) {
    auto more = (*src)->Next(v);
    if (!more.ok()) {
      // Sticky: the same error again.
      if ((*src)->Next(v).status() != more.status()) std::abort();
      break;
    }
    if (!*more) break;
    if (v.index != expected_index++ || v.wirelen < v.caplen) std::abort();
    if (v.offset >= size) std::abort();
    uint8_t acc = 0;
    for (uint32_t i = 0; i < v.caplen; ++i) acc ^= v.data[i];
    sink = sink ^ acc;
  }
  (void)sink;
  return 0;
}
