// libFuzzer target for the DNS parser, probe and TCP framer.
//
// The whole input is parsed as one DNS message (from an exactly sized copy,
// so ASan sees any read past the end) with options picked by the first
// byte, and probed as UDP and TCP. Then the input is framed as a TCP stream
// twice, once in a single feed and once cut at points derived from the input
// itself; both must yield the same messages, each of which is parsed too.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/app/dns/dns_parser.h"
#include "engine/app/dns/dns_probe.h"
#include "engine/app/dns/dns_tcp_framer.h"

namespace {

using namespace kagami::app::dns;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckMessage(const Message& m, size_t len, const DnsOptions& o) {
  Check(m.anomalies.size() <= kMaxAnomalies);
  for (const auto& [kind, offset] : m.anomalies) Check(offset <= len && kind < Anomaly::kCount);
  const size_t records = m.questions.size() + m.answers.size() + m.authorities.size() + m.additionals.size();
  Check(records <= o.max_records);
  Check(m.questions.size() <= m.qdcount && m.answers.size() <= m.ancount);
  for (const Question& q : m.questions) Check(q.name.size() <= kMaxNameText);
  for (const auto* section : {&m.answers, &m.authorities, &m.additionals}) {
    for (const Record& r : *section) {
      // A name in rdata (CNAME, NS, PTR, DNAME, MX) may be longer than the
      // message: compression pointers reuse its bytes. Other rdata text is
      // drawn from the message itself.
      const bool name_rdata = r.type == 2 || r.type == 5 || r.type == 12 || r.type == 15 || r.type == 39;
      Check(r.name.size() <= kMaxNameText && r.rdata.size() <= (name_rdata ? kMaxNameText : len));
      if (r.soa) Check(r.soa->mname.size() <= kMaxNameText && r.soa->rname.size() <= kMaxNameText);
    }
  }
}

void ParseCopy(const uint8_t* data, size_t len, const DnsOptions& o, Message& m) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[len ? len : 1]);
  if (len) std::memcpy(copy.get(), data, len);
  const bool ok = ParseMessage(copy.get(), len, o, m);
  Check(ok == (len >= 12));
  if (ok) CheckMessage(m, len, o);
  const Probe u = ProbeUdp(copy.get(), len, true);
  Check(u != Probe::kNeedMore);
  (void)ProbeTcp(copy.get(), len, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  DnsOptions o;
  o.max_records = (data[0] & 1) ? 8 : 512;
  o.aaaa_rfc5952 = (data[0] & 2) != 0;
  o.max_tcp_message = (data[0] & 4) ? 64 : 65535;
  static Message m;  // reused, as a flow's parser would
  ParseCopy(data, size, o, m);
  Message fresh;
  ParseCopy(data, size, o, fresh);
  Check(fresh.questions.size() == m.questions.size() && fresh.answers.size() == m.answers.size() &&
        fresh.anomalies == m.anomalies);

  std::vector<std::string> whole, split;
  TcpFramer a(o);
  a.Feed(data, size, [&](const uint8_t* d, size_t n) {
    whole.emplace_back(reinterpret_cast<const char*>(d), n);
    Message fm;
    ParseCopy(d, n, o, fm);
  });
  TcpFramer b(o);
  uint32_t state = 0x9e3779b9u ^ static_cast<uint32_t>(size);
  for (size_t i = 0; i < size && i < 64; ++i) state = state * 31 + data[i];
  for (size_t pos = 0; pos < size;) {
    state = state * 1103515245u + 12345u;
    size_t n = 1 + (state >> 16) % 40;
    if (n > size - pos) n = size - pos;
    std::unique_ptr<uint8_t[]> piece(new uint8_t[n]);
    std::memcpy(piece.get(), data + pos, n);
    b.Feed(piece.get(), n, [&](const uint8_t* d, size_t len) {
      split.emplace_back(reinterpret_cast<const char*>(d), len);
    });
    pos += n;
  }
  Check(whole == split);
  Check(a.counters().messages == b.counters().messages && a.buffered() == b.buffered());
  return 0;
}
