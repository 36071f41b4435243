// dns-pointer-loops and tls-lying-lengths: ordinary sessions on the wire
// (SessionWriter makes them) whose application bytes lie to the parser:
// DNS names that are compression-pointer loops, TLS lengths that promise
// more (or less) than follows.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/gen/attack_kinds.h"
#include "tools/gen/benign_traffic.h"
#include "tools/gen/session_writer.h"

namespace kagami::gen {
namespace {

void Put8(std::string& b, uint32_t v) { b.push_back(static_cast<char>(v & 0xff)); }
void Put16(std::string& b, uint32_t v) {
  Put8(b, v >> 8);
  Put8(b, v);
}
void Put32(std::string& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}
// A compression pointer to `offset` (14 bits).
void PutPointer(std::string& b, uint32_t offset) { Put16(b, 0xc000 | (offset & 0x3fff)); }

void PutName(std::string& b, const std::string& dotted) {
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    Put8(b, static_cast<uint32_t>(dot - start));
    b.append(dotted, start, dot - start);
    start = dot + 1;
  }
  Put8(b, 0);
}

// How a response's name loops.
enum class Loop {
  kSelf,          // the answer's name is a pointer to itself
  kCycle,         // the answer's name points to its CNAME rdata, which points back
  kLabelLoop,     // a label, then a pointer back to that label: an endless name
  kPastEnd,       // a pointer beyond the end of the message
  kQuestionSelf,  // the question's name is a pointer to itself
  kCount,
};

// A query for `name` and its response whose answer (or question) loops.
std::pair<std::string, std::string> LoopExchange(Rng& rng, const std::string& name, Loop loop) {
  const uint16_t id = static_cast<uint16_t>(rng.Next());
  std::string query;
  Put16(query, id);
  Put16(query, 0x0100);  // RD
  Put16(query, 1);
  Put16(query, 0);
  Put16(query, 0);
  Put16(query, 0);
  PutName(query, name);
  Put16(query, 1);  // A
  Put16(query, 1);  // IN

  std::string r;
  Put16(r, id);
  Put16(r, 0x8180);  // response, RD, RA, NOERROR
  Put16(r, 1);
  Put16(r, 1);
  Put16(r, 0);
  Put16(r, 0);
  if (loop == Loop::kQuestionSelf) {
    PutPointer(r, 12);
  } else {
    PutName(r, name);
  }
  Put16(r, 1);
  Put16(r, 1);
  const uint32_t answer = static_cast<uint32_t>(r.size());
  switch (loop) {
    case Loop::kSelf: PutPointer(r, answer); break;
    case Loop::kCycle: PutPointer(r, answer + 12); break;  // name 2 + type, class, ttl, rdlength 10
    case Loop::kLabelLoop:
      Put8(r, 3);
      r.append(rng.Lower(3));
      PutPointer(r, answer);
      break;
    case Loop::kPastEnd: PutPointer(r, answer + 64 + static_cast<uint32_t>(rng.Below(0x3000))); break;
    case Loop::kQuestionSelf:
    case Loop::kCount: PutPointer(r, 12); break;
  }
  if (loop == Loop::kCycle) {
    Put16(r, 5);  // CNAME
    Put16(r, 1);
    Put32(r, static_cast<uint32_t>(rng.Between(30, 3600)));
    Put16(r, 2);
    PutPointer(r, answer);
  } else {
    Put16(r, 1);  // A
    Put16(r, 1);
    Put32(r, static_cast<uint32_t>(rng.Between(30, 3600)));
    Put16(r, 4);
    Put32(r, static_cast<uint32_t>(rng.Next()));
  }
  return {std::move(query), std::move(r)};
}

// Runs sessions from `make` through one SessionWriter into the run's
// output, with the legitimate sessions placed among them.
template <typename Make>
void WriteSessions(AttackRun& run, Make make) {
  SessionWriterOptions wo;
  wo.concurrency = 64;  // many connections on the wire at once
  wo.start_ns = run.now_ns;
  SessionWriter writer(wo, run.rng.Next(), &run.out);
  for (uint64_t i = 0; i < run.count; ++i) {
    run.out.At(static_cast<double>(i) / static_cast<double>(run.count), writer.now_ns());
    writer.Add(make(i));
  }
  writer.Finish();
  run.now_ns = writer.now_ns();
}

}  // namespace

void WriteDnsPointerLoops(AttackRun& run) {
  Rng& rng = run.rng;
  // A handful of resolvers answering many clients.
  std::string resolvers[8];
  for (std::string& r : resolvers) r = PublicAddress(rng, false);
  WriteSessions(run, [&](uint64_t i) {
    Session s;
    s.transport = Transport::kUdp;
    s.label = "attack/dns-pointer-loops";
    s.client = {ClientAddress(rng, false), EphemeralPort(rng)};
    s.server = {resolvers[rng.Below(std::size(resolvers))], 53};
    const std::string name = absl::StrCat(rng.Lower(rng.Between(3, 12)), ".", kTargetHost);
    auto [query, response] = LoopExchange(rng, name, static_cast<Loop>(i % static_cast<uint64_t>(Loop::kCount)));
    s.messages.push_back({true, std::move(query)});
    s.messages.push_back({false, std::move(response)});
    return s;
  });
}

namespace {

// How a ClientHello's lengths lie.
enum class Lie {
  kRecordLonger,     // the record promises more bytes than follow
  kHandshakeLonger,  // the handshake message promises more than its record holds
  kRecordShorter,    // the record ends inside the hello: the rest reads as a record header
  kHandshakeShorter, // the message ends inside the hello: the rest reads as another message
  kHandshake16MiB,   // a handshake length of 2^24 - 1
  kCount,
};

// The record layer: type(1) version(2) length(2); the handshake header:
// type(1) length(3).
void SetLength16(std::string& b, size_t at, uint32_t v) {
  b[at] = static_cast<char>(v >> 8);
  b[at + 1] = static_cast<char>(v);
}
void SetLength24(std::string& b, size_t at, uint32_t v) {
  b[at] = static_cast<char>(v >> 16);
  b[at + 1] = static_cast<char>(v >> 8);
  b[at + 2] = static_cast<char>(v);
}

std::string LyingHello(Rng& rng, Lie lie) {
  std::string r = TlsClientHello(rng, absl::StrCat(rng.Lower(rng.Between(4, 10)), ".", kTargetHost));
  const uint32_t record = static_cast<uint32_t>(r.size() - 5);
  const uint32_t message = record - 4;
  switch (lie) {
    case Lie::kRecordLonger:
      SetLength16(r, 3, std::min<uint32_t>(16384, record + static_cast<uint32_t>(rng.Between(1, 12000))));
      break;
    case Lie::kHandshakeLonger:
      SetLength24(r, 6, message + static_cast<uint32_t>(rng.Between(1, 60000)));
      break;
    case Lie::kRecordShorter:
      SetLength16(r, 3, static_cast<uint32_t>(rng.Between(4, record - 1)));
      break;
    case Lie::kHandshakeShorter:
      SetLength24(r, 6, static_cast<uint32_t>(rng.Between(1, message - 1)));
      break;
    case Lie::kHandshake16MiB:
    case Lie::kCount:
      SetLength24(r, 6, 0xffffff);
      break;
  }
  return r;
}

// decode_error: what a server says to a hello it cannot parse.
constexpr char kDecodeErrorAlert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32};

}  // namespace

void WriteTlsLyingLengths(AttackRun& run) {
  Rng& rng = run.rng;
  WriteSessions(run, [&](uint64_t i) {
    Session s;
    s.transport = Transport::kTcp;
    s.label = "attack/tls-lying-lengths";
    s.client = {AddressText(AttackerAddress(rng)), EphemeralPort(rng)};
    s.server = {kTargetServerText, 443};
    s.messages.push_back({true, LyingHello(rng, static_cast<Lie>(i % static_cast<uint64_t>(Lie::kCount)))});
    s.messages.push_back({false, std::string(kDecodeErrorAlert, sizeof kDecodeErrorAlert)});
    return s;
  });
}

}  // namespace kagami::gen
