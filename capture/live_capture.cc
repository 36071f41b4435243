#include "capture/live_capture.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace kagami::capture {

absl::StatusOr<std::unique_ptr<LiveCapture>> LiveCapture::Open(const LiveCaptureOptions& options) {
  if (options.interfaces.empty()) return absl::InvalidArgumentError("no interface to capture on");
  auto capture = std::make_unique<LiveCapture>();
  capture->method_ = options.method;
  capture->options_ = options;
  if (options.method == CaptureMethod::kPcap) {
    if (options.interfaces.size() != 1) {
      return absl::InvalidArgumentError("--capture pcap reads one interface; use af-packet for several");
    }
    const LiveInterface& i = options.interfaces[0];
    auto live = LiveSource::Open(i.name, i.bpf.empty() ? options.bpf : i.bpf);
    if (!live.ok()) return live.status();
    capture->pcap_ = std::move(*live);
    capture->sources_.push_back(capture->pcap_.get());
    return capture;
  }
  const uint32_t workers = std::max<uint32_t>(options.workers, 1);
  // A group id of this process's own, so two sensors on one interface do
  // not share their packets; the socket adds the interface's index.
  const auto group = static_cast<uint16_t>((static_cast<uint32_t>(getpid()) & 0x7fff) | 0x8000);
  for (uint32_t w = 0; w < workers; ++w) {
    std::vector<AfPacketSource*> mine;
    for (const LiveInterface& iface : options.interfaces) {
      AfPacketOptions o = options.afpacket;
      o.iface = iface.name;
      o.bpf = iface.bpf.empty() ? options.bpf : iface.bpf;
      o.fanout_group = workers > 1 ? group : 0;
      auto socket = AfPacketSource::Open(o);
      if (!socket.ok()) return socket.status();
      mine.push_back(socket->get());
      capture->sockets_.push_back(std::move(*socket));
    }
    if (mine.size() == 1) {
      capture->sources_.push_back(mine[0]);
    } else {
      capture->sets_.push_back(std::make_unique<PollSet>(std::move(mine)));
      capture->sources_.push_back(capture->sets_.back().get());
    }
  }
  return capture;
}

void LiveCapture::Stop() {
  if (pcap_) pcap_->Stop();
  for (auto& s : sockets_) s->Stop();
  for (auto& s : sets_) s->Stop();
}

void LiveCapture::set_event_handler(const std::function<void(const std::string&)>& on_event) {
  for (auto& s : sockets_) s->set_event_handler(on_event);
}

std::vector<LiveCapture::InterfaceCounts> LiveCapture::kernel_counts() const {
  std::vector<InterfaceCounts> out;
  for (const LiveInterface& iface : options_.interfaces) out.push_back({iface.name, {}});
  if (pcap_) {
    if (auto k = pcap_->kernel_counts()) out[0].counts = *k;
    return out;
  }
  const size_t n = options_.interfaces.size();
  for (size_t i = 0; i < sockets_.size(); ++i) {
    if (auto k = sockets_[i]->kernel_counts()) {
      out[i % n].counts.packets += k->packets;
      out[i % n].counts.drops += k->drops;
    }
  }
  return out;
}

std::string LiveCapture::Describe() const {
  if (pcap_) return "libpcap";
  const uint32_t per = static_cast<uint32_t>(sockets_.size() / options_.interfaces.size());
  if (per == 1) return "af-packet";
  const char* mode = "hash";
  switch (options_.afpacket.fanout_mode) {
    case FanoutMode::kHash: break;
    case FanoutMode::kLb: mode = "lb"; break;
    case FanoutMode::kCpu: mode = "cpu"; break;
    case FanoutMode::kQm: mode = "qm"; break;
  }
  return absl::StrCat("af-packet, fanout ", mode, ", ", per, " sockets per interface");
}

}  // namespace kagami::capture
