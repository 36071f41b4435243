// libFuzzer target for the whole packet path after capture: flows, TCP
// reassembly, IP defragmentation, tunnels and detection with flowbits and
// stream rules. The input is a sequence of frames, each a 2-byte big-endian
// length then that many bytes of raw IP; every frame is 1 ms after the last
// and the third byte of the input picks small memory caps or the defaults,
// so eviction paths run too.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "capture/packet_view.h"
#include "engine/detect/detect_engine.h"
#include "engine/pipeline/scanner.h"
#include "rules/rule_loader.h"

namespace {

constexpr char kRules[] = R"(
alert tcp any any -> any any (msg:"split"; content:"ATTACK"; sid:1;)
alert tcp any any -> any any (msg:"est"; flow:established,to_server; content:"GET"; depth:3; sid:2;)
alert tcp any any -> any any (msg:"set"; content:"USER"; flowbits:set,u; flowbits:noalert; sid:3;)
alert tcp any any -> any any (msg:"isset"; content:"PASS"; flowbits:isset,u; sid:4;)
alert tcp any any -> any any (msg:"stream only"; flow:only_stream; content:"ab"; content:"cd"; distance:0; sid:5;)
alert udp any any -> any any (msg:"udp"; content:"q"; flow:established; sid:6;)
alert ip any any -> any any (msg:"frag"; fragbits:M; sid:7;)
alert tcp any any -> any any (msg:"pcre"; pcre:"/x.{0,20}y/s"; sid:8;)
)";

std::shared_ptr<const kagami::detect::DetectEngine> Engine() {
  static std::shared_ptr<const kagami::detect::DetectEngine> engine = [] {
    kagami::rules::RuleSet set = kagami::rules::ParseRules(kRules, "fuzz.rules", kagami::rules::LoadOptions{});
    auto e = kagami::detect::DetectEngine::Compile(set, {}, nullptr);
    return e.ok() ? *e : nullptr;
  }();
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto engine = Engine();
  if (!engine || size < 1) return 0;
  kagami::pipeline::ScannerOptions options;
  options.checksums = kagami::pipeline::ChecksumMode::kIgnore;
  options.stream.midstream = data[0] & 1;
  if (data[0] & 2) {
    options.flow.memcap = 64 * 1024;
    options.stream.memcap = 16 * 1024;
    options.stream.max_queued = 256;
    options.stream.lookback = 16;
    options.defrag.memcap = 4 * 1024;
  }
  options.stream.policy = static_cast<kagami::stream::OverlapPolicy>((data[0] >> 2) % 6);
  options.defrag.policy = static_cast<kagami::defrag::Policy>((data[0] >> 5) % 6);
  kagami::pipeline::Scanner scanner(engine, options, nullptr, nullptr);

  size_t pos = 1;
  uint64_t index = 0;
  while (pos + 2 <= size) {
    const size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    const size_t n = std::min(len, size - pos);
    // A copy of exactly the frame's size, so a read past it is caught.
    std::unique_ptr<uint8_t[]> frame(new uint8_t[n ? n : 1]);
    if (n) std::memcpy(frame.get(), data + pos, n);
    pos += n;
    kagami::capture::PacketView view;
    view.linktype = kagami::capture::kLinkRaw;
    view.caplen = view.wirelen = static_cast<uint32_t>(n);
    view.data = frame.get();
    view.index = ++index;
    view.ts_ns = static_cast<int64_t>(index) * 1'000'000;
    scanner.ProcessPacket(view, "fuzz");
  }
  scanner.Finish();
  return 0;
}
