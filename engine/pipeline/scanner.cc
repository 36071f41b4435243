#include "engine/pipeline/scanner.h"

#include <algorithm>
#include <cstring>

namespace kagami::pipeline {
namespace {

// Suricata's "auto" checksum mode samples this many packets and gives up
// validating when more than 1 in kChecksumBadRatio of them were bad: such a
// capture was taken with checksum offloading and every packet would be lost.
constexpr uint64_t kChecksumSample = 1000;
constexpr uint64_t kChecksumBadRatio = 10;

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t HashAddress(const IpAddress& a) {
  uint64_t hi, lo;
  std::memcpy(&hi, a.bytes().data(), 8);
  std::memcpy(&lo, a.bytes().data() + 8, 8);
  return Mix(hi * 0xff51afd7ed558ccdULL, lo);
}

}  // namespace

uint64_t FlowIdOf(const decode::Packet& p) {
  // Order the endpoints so both directions hash alike.
  uint64_t a = Mix(HashAddress(p.src), p.src_port);
  uint64_t b = Mix(HashAddress(p.dst), p.dst_port);
  if (a > b) std::swap(a, b);
  uint64_t h = Mix(Mix(a, b), p.ip_proto);
  h = Mix(h, p.vlan_count ? p.vlan_id[0] : 0);
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  h &= (1ULL << 53) - 1;
  return h ? h : 1;
}

Scanner::Scanner(std::shared_ptr<const detect::DetectEngine> engine, const ScannerOptions& options,
                 output::EveWriter* eve, output::ScanSummary* summary)
    : engine_(std::move(engine)),
      options_(options),
      eve_(eve),
      summary_(summary),
      decoder_(decode::DecoderOptions{.verify_checksums = options.checksums == ChecksumMode::kVerify}),
      detect_(detect::DetectContext::Create(engine_)),
      verify_checksums_(options.checksums == ChecksumMode::kVerify) {
  alerts_buffer_.reserve(64);
}

void Scanner::UpdateChecksumPolicy(const decode::Packet& packet) {
  if (checksum_sampled_ >= kChecksumSample || packet.ip_version == 0) return;
  ++checksum_sampled_;
  if (packet.ip_checksum_bad || packet.l4_checksum_bad) ++checksum_bad_;
  if (checksum_sampled_ == kChecksumSample && checksum_bad_ * kChecksumBadRatio > kChecksumSample) {
    verify_checksums_ = false;
    decoder_.set_verify_checksums(false);
  }
}

void Scanner::ProcessPacket(const capture::PacketView& view, std::string_view source_name) {
  decode::Packet packet;
  decode::DecodeResult result = decoder_.Decode(view, packet);
  if (summary_) {
    summary_->AddPacket(view.wirelen);
    if (progress_) progress_->Update(*summary_);
  }
  if (result != decode::DecodeResult::kOk || packet.ip_version == 0) return;
  if (verify_checksums_) UpdateChecksumPolicy(packet);

  detect_->Inspect(packet, alerts_buffer_);
  if (alerts_buffer_.empty()) return;
  output::EveContext ctx;
  ctx.pcap_filename = view.offset ? source_name : std::string_view();
  ctx.pcap_cnt = view.index;
  ctx.flow_id = FlowIdOf(packet);
  for (const detect::Alert& alert : alerts_buffer_) {
    ++alerts_;
    if (eve_) eve_->WriteAlert(packet, *alert.rule, ctx);
    if (summary_) summary_->AddAlert(*alert.rule);
  }
  if (options_.flush_alerts && eve_) eve_->Flush();
}

absl::Status Scanner::Run(capture::PacketSource& source, RunControl* control) {
  capture::PacketView view;
  for (;;) {
    if (control && control->stop.load(std::memory_order_relaxed)) break;
    absl::StatusOr<bool> more = source.Next(view);
    if (!more.ok()) return more.status();
    if (!*more) break;
    // Checked after the wait so a reopen asked for while idle applies to the
    // very next record.
    if (control && control->reopen_output.exchange(false, std::memory_order_relaxed) && eve_) {
      absl::Status s = eve_->Reopen();
      if (!s.ok() && summary_) summary_->AddError(std::string(s.message()));
    }
    ProcessPacket(view, source.name());
  }
  return absl::OkStatus();
}

}  // namespace kagami::pipeline
