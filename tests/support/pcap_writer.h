#pragma once
// Writes capture files for tests: classic pcap (either byte order, µs or ns)
// and pcapng (several interfaces with their own link types).

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/packet_builder.h"

namespace kagami::testing {

struct TestPacket {
  int64_t ts_ns = 1700000000LL * 1000000000LL;
  Bytes bytes;
  uint32_t interface = 0;  // pcapng interface index
  uint32_t wirelen = 0;    // 0: same as bytes.size()
};

struct PcapOptions {
  uint32_t linktype = 1;
  bool big_endian = false;
  bool nanoseconds = false;
  uint32_t snaplen = 262144;
};

// Classic pcap file contents.
std::string MakePcap(const std::vector<TestPacket>& packets, const PcapOptions& o = {});

// pcapng file contents: one SHB, one IDB per entry of `linktypes`, then one
// EPB per packet (on packet.interface).
std::string MakePcapng(const std::vector<TestPacket>& packets,
                       const std::vector<uint32_t>& linktypes = {1});

// Writes `contents` to a fresh file under the test's temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace kagami::testing
