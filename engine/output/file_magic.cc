#include "engine/output/file_magic.h"

#include <magic.h>

#include <algorithm>

namespace kagami::output {

FileMagic::~FileMagic() {
  if (magic_ != nullptr) magic_close(magic_);
}

std::string_view FileMagic::Describe(const uint8_t* data, size_t len) {
  if (magic_ == nullptr) {
    if (tried_) return {};
    tried_ = true;
    // MAGIC_ERROR: an unreadable input is an error, not a guess.
    magic_ = magic_open(MAGIC_ERROR);
    if (magic_ == nullptr) return {};
    if (magic_load(magic_, nullptr) != 0) {
      magic_close(magic_);
      magic_ = nullptr;
      return {};
    }
  }
  if (len == 0) return {};
  const char* d = magic_buffer(magic_, data, std::min(len, kBytesLooked));
  return d == nullptr ? std::string_view() : std::string_view(d);
}

}  // namespace kagami::output
