#include "engine/app/dns/dns_probe.h"

#include "engine/app/dns/dns_wire.h"

namespace kagami::app::dns {
namespace {

using wire::kHeaderLen;
using wire::Load16;

bool KnownClass(uint16_t cls) {
  cls &= 0x7FFF;  // mDNS uses the top bit as "unicast response wanted"
  return cls == 1 || cls == 3 || cls == 4 || cls == 254 || cls == 255;
}

// `have` bytes of a message whose full length is `total` (have <= total).
Probe ProbeMessage(const uint8_t* data, size_t have, size_t total) {
  const Probe short_answer = have < total ? Probe::kNeedMore : Probe::kNo;
  if (have < kHeaderLen) return short_answer;
  const uint16_t flags = Load16(data + 2);
  const bool response = (flags & 0x8000) != 0;
  const unsigned opcode = (flags >> 11) & 0xF;
  if (opcode == 3 || opcode > 5) return Probe::kNo;
  const size_t qd = Load16(data + 4), an = Load16(data + 6), ns = Load16(data + 8),
               ar = Load16(data + 10);
  if (qd == 0) return Probe::kNo;
  if (kHeaderLen + qd * 5 + (an + ns + ar) * 11 > total) return Probe::kNo;
  if (!response && opcode == 0 && (an != 0 || ns != 0)) return Probe::kNo;

  wire::NameOut name;
  const wire::AnomalySink sink;
  const size_t end = wire::ReadName(data, have, kHeaderLen, have, name, sink);
  if (sink.count != 0) {
    // Cut off by the end of what we have so far: wait for more.
    if (sink.last == Anomaly::kTruncated && have < total) return Probe::kNeedMore;
    return Probe::kNo;
  }
  if (have - end < 4) return short_answer;
  const uint16_t qtype = Load16(data + end);
  const uint16_t qclass = Load16(data + end + 2);
  if (qtype == 0 || !KnownClass(qclass)) return Probe::kNo;
  return Probe::kYes;
}

}  // namespace

Probe ProbeUdp(const uint8_t* data, size_t len, bool /*to_server*/) {
  if (data == nullptr) return Probe::kNo;
  return ProbeMessage(data, len, len);
}

Probe ProbeTcp(const uint8_t* data, size_t len, bool /*to_server*/) {
  if (data == nullptr || len < 2) return Probe::kNeedMore;
  const size_t total = Load16(data);
  if (total < kHeaderLen) return Probe::kNo;
  const size_t have = len - 2 < total ? len - 2 : total;
  return ProbeMessage(data + 2, have, total);
}

}  // namespace kagami::app::dns
