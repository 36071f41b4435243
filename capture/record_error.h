#pragma once
// The one shape of a corrupt-input error, shared by the file readers so that
// every message reads "NAME: packet N at byte offset X: reason".

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kagami::capture {

// `packet` is the 1-based number of the packet that could not be read, i.e.
// one more than the number of packets already returned; `offset` is where the
// bad record or block starts.
inline absl::Status RecordError(const std::string& name, uint64_t packet, uint64_t offset,
                                absl::string_view reason) {
  return absl::DataLossError(
      absl::StrCat(name, ": packet ", packet, " at byte offset ", offset, ": ", reason));
}

}  // namespace kagami::capture
