// ProbeUdp / ProbeTcp: DNS by shape.

#include <gtest/gtest.h>

#include <string_view>

#include "engine/app/dns/dns_probe.h"
#include "tests/app/dns/dns_test_util.h"

namespace kagami::app::dns {
namespace {

using testing::Bytes;
using testing::MessageBuilder;

Bytes Query(uint16_t flags = 0x0100, uint16_t qd = 1, uint16_t an = 0, uint16_t ns = 0, uint16_t ar = 0,
            uint16_t cls = 1) {
  MessageBuilder m(0x1234, flags, qd, an, ns, ar);
  if (qd) m.Question("www.example.com", 1, cls);
  return m.bytes();
}

Bytes Response() {
  MessageBuilder m(0x1234, 0x8180, 1, 1, 0, 0);
  m.Question("www.example.com", 1);
  m.Rr("", 1, 60, {1, 2, 3, 4}, 12);
  return m.bytes();
}

Bytes Tcp(const Bytes& msg) {
  Bytes out{static_cast<uint8_t>(msg.size() >> 8), static_cast<uint8_t>(msg.size())};
  out.insert(out.end(), msg.begin(), msg.end());
  return out;
}

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Probe Udp(const Bytes& b, bool to_server = true) { return ProbeUdp(b.data(), b.size(), to_server); }
Probe TcpProbe(const Bytes& b, size_t n) { return ProbeTcp(b.data(), n, true); }

TEST(DnsProbeTest, UdpYes) {
  EXPECT_EQ(Udp(Query()), Probe::kYes);
  EXPECT_EQ(Udp(Response(), false), Probe::kYes);
  EXPECT_EQ(Udp(Response(), true), Probe::kYes);  // direction guess may be wrong
  EXPECT_EQ(Udp(Query(0x0100, 1, 0, 0, 1)), Probe::kYes);  // EDNS additional promised
  EXPECT_EQ(Udp(Query(0x2800)), Probe::kYes);               // UPDATE
  EXPECT_EQ(Udp(Query(0x0000, 1, 0, 0, 0, 0x8001)), Probe::kYes);  // mDNS QU bit
}

TEST(DnsProbeTest, UdpNo) {
  EXPECT_EQ(Udp({}), Probe::kNo);
  EXPECT_EQ(Udp(Bytes(11, 0)), Probe::kNo);
  EXPECT_EQ(Udp(Query(0x1800)), Probe::kNo);              // opcode 3
  EXPECT_EQ(Udp(Query(0x3000)), Probe::kNo);              // opcode 6
  EXPECT_EQ(Udp(Query(0x0100, 0)), Probe::kNo);           // no question
  EXPECT_EQ(Udp(Query(0x0100, 1, 1)), Probe::kNo);        // a query with an answer
  EXPECT_EQ(Udp(Query(0x0100, 1, 0, 0, 90)), Probe::kNo);  // counts exceed the size
  EXPECT_EQ(Udp(Query(0x0100, 1, 0, 0, 0, 77)), Probe::kNo);  // unknown class
  Bytes cut = Query();
  cut.resize(cut.size() - 2);
  EXPECT_EQ(Udp(cut), Probe::kNo);  // question cut short
  EXPECT_EQ(Udp(Text("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")), Probe::kNo);
  EXPECT_EQ(Udp(Text("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 random bytes follow here")), Probe::kNo);
  EXPECT_EQ(Udp(Bytes(64, 0)), Probe::kNo);
  EXPECT_EQ(Udp(Bytes(64, 0xff)), Probe::kNo);
  // A compression pointer in the first question points nowhere valid.
  MessageBuilder m(1, 0x0100, 1, 0, 0, 0);
  m.Name("x", 12).U16(1).U16(1);
  EXPECT_EQ(Udp(m.bytes()), Probe::kNo);
}

TEST(DnsProbeTest, Tcp) {
  const Bytes t = Tcp(Query());
  EXPECT_EQ(TcpProbe(t, 0), Probe::kNeedMore);
  EXPECT_EQ(TcpProbe(t, 1), Probe::kNeedMore);
  EXPECT_EQ(TcpProbe(t, 2), Probe::kNeedMore);
  EXPECT_EQ(TcpProbe(t, 13), Probe::kNeedMore);
  EXPECT_EQ(TcpProbe(t, 20), Probe::kNeedMore);       // inside the name
  EXPECT_EQ(TcpProbe(t, t.size() - 1), Probe::kNeedMore);
  EXPECT_EQ(TcpProbe(t, t.size()), Probe::kYes);
  // More bytes after the frame (the next message) do not matter.
  Bytes two = t;
  two.insert(two.end(), t.begin(), t.end());
  EXPECT_EQ(TcpProbe(two, two.size()), Probe::kYes);
  const Bytes r = Tcp(Response());
  EXPECT_EQ(TcpProbe(r, r.size()), Probe::kYes);
  // Every prefix of a good frame is kYes or kNeedMore, never kNo.
  for (size_t n = 0; n <= r.size(); ++n) EXPECT_NE(TcpProbe(r, n), Probe::kNo) << n;
}

TEST(DnsProbeTest, TcpNo) {
  const Bytes short_frame = {0, 5, 1, 2, 3, 4, 5};
  EXPECT_EQ(TcpProbe(short_frame, short_frame.size()), Probe::kNo);
  const Bytes http = Text("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(TcpProbe(http, http.size()), Probe::kNo);
  const Bytes bad_opcode = Tcp(Query(0x1800));
  EXPECT_EQ(TcpProbe(bad_opcode, 14), Probe::kNo);  // the header alone decides
  const Bytes label = Tcp(Bytes{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x45, 'a'});
  EXPECT_EQ(TcpProbe(label, label.size()), Probe::kNo);
}

}  // namespace
}  // namespace kagami::app::dns
