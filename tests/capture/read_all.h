#pragma once
// Drains a PacketSource for tests, copying each packet's bytes because a
// view is only valid until the next call.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "capture/packet_source.h"

namespace kagami::testing {

struct ReadPacket {
  capture::PacketView view;
  std::vector<uint8_t> bytes;
};

struct ReadResult {
  std::vector<ReadPacket> packets;
  absl::Status end;  // OK for a clean end, else the error that stopped it
};

inline ReadResult ReadAll(capture::PacketSource& src) {
  ReadResult r;
  capture::PacketView v;
  for (;;) {
    absl::StatusOr<bool> more = src.Next(v);
    if (!more.ok()) {
      r.end = more.status();
      return r;
    }
    if (!*more) return r;
    r.packets.push_back({v, std::vector<uint8_t>(v.data, v.data + v.caplen)});
  }
}

}  // namespace kagami::testing
