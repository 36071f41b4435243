#include "tests/support/pcap_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace kagami::testing {
namespace {

// Appends integers in a chosen byte order.
class Out {
 public:
  explicit Out(bool big_endian) : big_(big_endian) {}
  void U16(uint16_t v) { Put(v, 2); }
  void U32(uint32_t v) { Put(v, 4); }
  void Raw(const Bytes& b) { s_.append(b.begin(), b.end()); }
  void Pad4() { s_.append((4 - s_.size() % 4) % 4, '\0'); }
  std::string& str() { return s_; }

 private:
  void Put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      const int shift = big_ ? (n - 1 - i) * 8 : i * 8;
      s_.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  bool big_;
  std::string s_;
};

uint32_t WireLen(const TestPacket& p) {
  return p.wirelen != 0 ? p.wirelen : static_cast<uint32_t>(p.bytes.size());
}

}  // namespace

std::string MakePcap(const std::vector<TestPacket>& packets, const PcapOptions& o) {
  Out out(o.big_endian);
  out.U32(o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
  out.U16(2);
  out.U16(4);
  out.U32(0);  // thiszone
  out.U32(0);  // sigfigs
  out.U32(o.snaplen);
  out.U32(o.linktype);
  const int64_t per_sec = o.nanoseconds ? 1000000000 : 1000000;
  const int64_t unit_ns = o.nanoseconds ? 1 : 1000;
  for (const TestPacket& p : packets) {
    const int64_t units = p.ts_ns / unit_ns;
    out.U32(static_cast<uint32_t>(units / per_sec));
    out.U32(static_cast<uint32_t>(units % per_sec));
    out.U32(static_cast<uint32_t>(p.bytes.size()));
    out.U32(WireLen(p));
    out.Raw(p.bytes);
  }
  return std::move(out.str());
}

std::string MakePcapng(const std::vector<TestPacket>& packets,
                       const std::vector<uint32_t>& linktypes) {
  Out out(false);
  // Section header: no options, section length unknown (-1).
  out.U32(0x0a0d0d0a);
  out.U32(28);
  out.U32(0x1a2b3c4d);
  out.U16(1);
  out.U16(0);
  out.U32(0xffffffff);
  out.U32(0xffffffff);
  out.U32(28);
  for (uint32_t linktype : linktypes) {
    out.U32(1);
    out.U32(20);
    out.U16(static_cast<uint16_t>(linktype));
    out.U16(0);
    out.U32(262144);
    out.U32(20);
  }
  for (const TestPacket& p : packets) {
    // Default if_tsresol: microseconds.
    const uint64_t us = static_cast<uint64_t>(p.ts_ns / 1000);
    const uint32_t padded = static_cast<uint32_t>((p.bytes.size() + 3) & ~size_t{3});
    const uint32_t len = 32 + padded;
    out.U32(6);
    out.U32(len);
    out.U32(p.interface);
    out.U32(static_cast<uint32_t>(us >> 32));
    out.U32(static_cast<uint32_t>(us));
    out.U32(static_cast<uint32_t>(p.bytes.size()));
    out.U32(WireLen(p));
    out.Raw(p.bytes);
    out.Pad4();
    out.U32(len);
  }
  return std::move(out.str());
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  // One fresh directory per process keeps parallel test runs (ctest -j) and
  // repeated names within a test from clobbering each other.
  static const std::string dir = [] {
    std::string tmpl = ::testing::TempDir() + "kagami-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + tmpl);
    return tmpl;
  }();
  // Each file gets its own subdirectory so it keeps exactly the given name.
  static std::atomic<int> serial{0};
  const std::string sub = dir + "/" + std::to_string(serial++);
  if (mkdir(sub.c_str(), 0700) != 0) throw std::runtime_error("cannot create " + sub);
  const std::string path = sub + "/" + name;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  f.close();
  if (!f) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace kagami::testing
