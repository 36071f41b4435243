#pragma once
// FileMagic: libmagic's description of a file's first bytes ("PE32
// executable (GUI) Intel 80386, for MS Windows"), the EVE fileinfo "magic"
// Suricata writes. A libmagic handle is not safe across threads, so each
// EveWriter (one per worker) owns one, opened on first use: a run that
// writes no fileinfo never loads the magic database.

#include <cstddef>
#include <cstdint>
#include <string_view>

struct magic_set;

namespace kagami::output {

class FileMagic {
 public:
  FileMagic() = default;
  ~FileMagic();
  FileMagic(const FileMagic&) = delete;
  FileMagic& operator=(const FileMagic&) = delete;

  // The description of `len` bytes (at most kBytesLooked are looked at);
  // empty when libmagic has none or could not be loaded. Valid until the
  // next call.
  std::string_view Describe(const uint8_t* data, size_t len);

  static constexpr size_t kBytesLooked = 4096;

 private:
  magic_set* magic_ = nullptr;
  bool tried_ = false;  // the database failed to load once: not tried again
};

}  // namespace kagami::output
