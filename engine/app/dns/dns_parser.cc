#include "engine/app/dns/dns_parser.h"

#include "engine/app/dns/dns_wire.h"

namespace kagami::app::dns {
namespace {

using wire::AnomalySink;
using wire::kHeaderLen;
using wire::kNoName;
using wire::Load16;
using wire::Load32;
using wire::NameOut;
using wire::ReadName;

constexpr uint16_t kTypeA = 1, kTypeNs = 2, kTypeCname = 5, kTypeSoa = 6, kTypeNull = 10,
                   kTypePtr = 12, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28, kTypeSrv = 33,
                   kTypeDname = 39, kTypeOpt = 41, kTypeSshfp = 44;

// Vectors of a reused Message keep their elements between messages, so the
// strings inside keep their capacity; `used` counts the live ones.
template <class T>
T& NextSlot(std::vector<T>& v, size_t& used) {
  if (used == v.size()) v.emplace_back();
  return v[used++];
}

void Reset(Question& q) {
  q.name.clear();
  q.type = q.cls = 0;
  q.name_truncated = false;
}

void Reset(Record& r) {
  r.name.clear();
  r.type = r.cls = 0;
  r.ttl = 0;
  r.name_truncated = false;
  r.rdata.clear();
  r.txt.clear();
  r.soa.reset();
  r.mx_preference = 0;
  r.srv.reset();
  r.sshfp.reset();
  r.opt.clear();
}

class Parser {
 public:
  Parser(const uint8_t* data, size_t len, const DnsOptions& options, Message& out)
      : msg_(data), len_(len), options_(options), out_(out), sink_{&out.anomalies} {}

  void Run() {
    pos_ = kHeaderLen;
    size_t used = 0;
    bool ok = true;
    for (uint32_t i = 0; ok && i < out_.qdcount; ++i) ok = ParseQuestion(NextSlot(out_.questions, used), used);
    out_.questions.resize(used);
    ok = ParseSection(out_.answers, out_.ancount, ok);
    ok = ParseSection(out_.authorities, out_.nscount, ok);
    ok = ParseSection(out_.additionals, out_.arcount, ok);
    if (ok && pos_ < len_) sink_.Add(Anomaly::kTrailingData, pos_);
  }

 private:
  bool TakeBudget() {
    if (records_ < options_.max_records) {
      ++records_;
      return true;
    }
    sink_.Add(Anomaly::kTooManyRecords, pos_);
    return false;
  }

  // On failure the slot is given back (`used` decremented).
  bool ParseQuestion(Question& q, size_t& used) {
    Reset(q);
    if (!TakeBudget()) {
      --used;
      return false;
    }
    NameOut name{&q.name};
    const size_t end = ReadName(msg_, len_, pos_, len_, name, sink_);
    if (end == kNoName || len_ - end < 4) {
      if (end != kNoName) sink_.Add(Anomaly::kTruncated, end);
      --used;
      return false;
    }
    q.name_truncated = name.truncated;
    q.type = Load16(msg_ + end);
    q.cls = Load16(msg_ + end + 2);
    pos_ = end + 4;
    return true;
  }

  bool ParseSection(std::vector<Record>& records, uint16_t count, bool ok) {
    size_t used = 0;
    for (uint32_t i = 0; ok && i < count; ++i) {
      Record& r = NextSlot(records, used);
      Reset(r);
      ok = TakeBudget() && ParseRecord(r);
      if (!ok) --used;
    }
    records.resize(used);
    return ok;
  }

  bool ParseRecord(Record& r) {
    NameOut name{&r.name};
    const size_t end = ReadName(msg_, len_, pos_, len_, name, sink_);
    if (end == kNoName) return false;
    if (len_ - end < 10) {
      sink_.Add(Anomaly::kTruncated, end);
      return false;
    }
    r.name_truncated = name.truncated;
    r.type = Load16(msg_ + end);
    r.cls = Load16(msg_ + end + 2);
    r.ttl = Load32(msg_ + end + 4);
    const size_t rdlength = Load16(msg_ + end + 8);
    const size_t rdata = end + 10;
    if (len_ - rdata < rdlength) {
      sink_.Add(Anomaly::kRecordOverflow, end + 8);
      return false;
    }
    pos_ = rdata + rdlength;
    ParseRdata(r, rdata, pos_);
    return true;
  }

  void BadRdata(size_t offset) { sink_.Add(Anomaly::kBadRdataLength, offset); }

  // Reads a name that must lie within rdata [pos, end); returns the offset
  // after it, or kNoName (and no text: half a name would mislead rules).
  // The name's own reader reports the problem.
  size_t RdataName(size_t pos, size_t end, std::string& text) {
    NameOut name{&text};
    const size_t after = ReadName(msg_, len_, pos, end, name, sink_);
    if (after == kNoName) text.clear();
    return after;
  }

  // A name that should fill the rest of the rdata exactly.
  void NameToEnd(size_t pos, size_t end, std::string& text) {
    const size_t after = RdataName(pos, end, text);
    if (after != kNoName && after != end) BadRdata(after);
  }

  void ParseRdata(Record& r, size_t pos, size_t end) {
    const size_t n = end - pos;
    const uint8_t* p = msg_ + pos;
    switch (r.type) {
      case kTypeA:
        if (n == 4) wire::AssignIpv4(r.rdata, p);
        else BadRdata(pos);
        return;
      case kTypeAaaa:
        if (n != 16) BadRdata(pos);
        else if (options_.aaaa_rfc5952) r.rdata = FormatIpv6Rfc5952(p);
        else wire::AssignIpv6Expanded(r.rdata, p);
        return;
      case kTypeNs:
      case kTypeCname:
      case kTypePtr:
      case kTypeDname:
        NameToEnd(pos, end, r.rdata);
        return;
      case kTypeMx:
        if (n < 3) {
          BadRdata(pos);
          return;
        }
        r.mx_preference = Load16(p);
        NameToEnd(pos + 2, end, r.rdata);
        return;
      case kTypeSrv: {
        if (n < 7) {
          BadRdata(pos);
          return;
        }
        Srv& srv = r.srv.emplace();
        srv.priority = Load16(p);
        srv.weight = Load16(p + 2);
        srv.port = Load16(p + 4);
        NameToEnd(pos + 6, end, srv.name);
        return;
      }
      case kTypeSoa: {
        Soa soa;
        size_t at = RdataName(pos, end, soa.mname);
        if (at == kNoName) return;
        at = RdataName(at, end, soa.rname);
        if (at == kNoName) return;
        if (end - at != 20) {
          BadRdata(at);
          if (end - at < 20) return;
        }
        const uint8_t* f = msg_ + at;
        soa.serial = Load32(f);
        soa.refresh = Load32(f + 4);
        soa.retry = Load32(f + 8);
        soa.expire = Load32(f + 12);
        soa.minimum = Load32(f + 16);
        r.soa = std::move(soa);
        return;
      }
      case kTypeTxt: {
        size_t at = pos;
        while (at < end) {
          const size_t slen = msg_[at];
          if (end - at - 1 < slen) {
            BadRdata(at);
            break;
          }
          r.txt.emplace_back(reinterpret_cast<const char*>(msg_ + at + 1), slen);
          at += 1 + slen;
        }
        if (!r.txt.empty()) r.rdata = r.txt.front();
        return;
      }
      case kTypeNull:
        r.rdata.assign(reinterpret_cast<const char*>(p), n);
        return;
      case kTypeSshfp: {
        if (n < 2) {
          BadRdata(pos);
          return;
        }
        Sshfp& fp = r.sshfp.emplace();
        fp.algo = p[0];
        fp.fp_type = p[1];
        fp.fingerprint.assign(reinterpret_cast<const char*>(p + 2), n - 2);
        return;
      }
      case kTypeOpt: {
        size_t at = pos;
        while (at < end) {
          if (end - at < 4 || end - at - 4 < Load16(msg_ + at + 2)) {
            BadRdata(at);
            break;
          }
          const size_t olen = Load16(msg_ + at + 2);
          EdnsOption& o = r.opt.emplace_back();
          o.code = Load16(msg_ + at);
          o.data.assign(reinterpret_cast<const char*>(msg_ + at + 4), olen);
          at += 4 + olen;
        }
        return;
      }
      default:
        return;
    }
  }

  const uint8_t* msg_;
  size_t len_;
  const DnsOptions& options_;
  Message& out_;
  AnomalySink sink_;
  size_t pos_ = 0;
  uint32_t records_ = 0;
};

}  // namespace

bool ParseMessage(const uint8_t* data, size_t len, const DnsOptions& options, Message& out) {
  out.anomalies.clear();
  out.id = out.flags = 0;
  out.response = out.aa = out.tc = out.rd = out.ra = out.z = false;
  out.opcode = out.rcode = 0;
  out.qdcount = out.ancount = out.nscount = out.arcount = 0;
  if (data == nullptr || len < kHeaderLen) {
    out.questions.clear();
    out.answers.clear();
    out.authorities.clear();
    out.additionals.clear();
    return false;
  }
  out.id = Load16(data);
  out.flags = Load16(data + 2);
  out.response = (out.flags & 0x8000) != 0;
  out.opcode = static_cast<uint8_t>((out.flags >> 11) & 0xF);
  out.aa = (out.flags & 0x0400) != 0;
  out.tc = (out.flags & 0x0200) != 0;
  out.rd = (out.flags & 0x0100) != 0;
  out.ra = (out.flags & 0x0080) != 0;
  out.z = (out.flags & 0x0040) != 0;
  out.rcode = static_cast<uint8_t>(out.flags & 0xF);
  out.qdcount = Load16(data + 4);
  out.ancount = Load16(data + 6);
  out.nscount = Load16(data + 8);
  out.arcount = Load16(data + 10);
  if (out.z) wire::AnomalySink{&out.anomalies}.Add(Anomaly::kZFlagSet, 2);
  Parser(data, len, options, out).Run();
  return true;
}

}  // namespace kagami::app::dns
