#include "capture/live_source.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kagami::capture {
namespace {

// pcap_datalink returns DLT_ values, which differ from the LINKTYPE_ numbers
// used in files (and in PacketView) for a few historical types.
uint32_t DltToLinkType(int dlt) {
  switch (dlt) {
    case 11:  // DLT_ATM_RFC1483 (LINKTYPE_ATM_RFC1483 is 100)
      return 100;
    case 12:  // DLT_RAW on most platforms (DLT_LOOP on OpenBSD, not supported)
    case 14:  // DLT_RAW on OpenBSD
      return kLinkRaw;
    default:
      return static_cast<uint32_t>(dlt);
  }
}

// How long a wait for packets lasts before the source looks at the stop flag
// and runs its idle handler, and how long the kernel may hold a partly
// filled ring block.
constexpr int kReadTimeoutMs = 100;

}  // namespace

LiveSource::LiveSource(std::string iface, pcap_t* handle)
    : iface_(std::move(iface)), handle_(handle) {}

LiveSource::~LiveSource() { pcap_close(handle_); }

absl::StatusOr<std::unique_ptr<LiveSource>> LiveSource::Open(const std::string& iface,
                                                             const std::string& bpf,
                                                             int snaplen) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(iface.c_str(), errbuf);
  if (p == nullptr) {
    return absl::UnavailableError(absl::StrCat(iface, ": cannot open: ", errbuf));
  }
  // The handle is owned from here so every error path below closes it.
  std::unique_ptr<LiveSource> src(new LiveSource(iface, p));
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, 1);
  pcap_set_timeout(p, kReadTimeoutMs);
  // Nanosecond stamps are a request; older kernels and some platforms say no
  // and we fall back to microseconds, checked again after activation.
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int rc = pcap_activate(p);
  if (rc < 0) {
    const char* detail = (rc == PCAP_ERROR || rc == PCAP_ERROR_NO_SUCH_DEVICE ||
                          rc == PCAP_ERROR_PERM_DENIED)
                             ? pcap_geterr(p)
                             : "";
    // The same words twice say nothing more: the detail only when it adds.
    const std::string status = pcap_statustostr(rc);
    std::string msg = rc == PCAP_ERROR_NO_SUCH_DEVICE ? absl::StrCat(iface, ": no such interface")
                                                      : absl::StrCat(iface, ": cannot capture: ", status);
    if (detail[0] != '\0' && status != detail && rc != PCAP_ERROR_NO_SUCH_DEVICE) {
      absl::StrAppend(&msg, " (", detail, ")");
    }
    if (rc == PCAP_ERROR_PERM_DENIED) {
      absl::StrAppend(&msg, "; run as root or grant CAP_NET_RAW and CAP_NET_ADMIN");
    }
    return rc == PCAP_ERROR_NO_SUCH_DEVICE ? absl::NotFoundError(msg)
           : rc == PCAP_ERROR_PERM_DENIED  ? absl::PermissionDeniedError(msg)
                                           : absl::UnavailableError(msg);
  }
  // Reads never block inside libpcap: with TPACKET_V3 a blocking read waits
  // for the next ring block however long that takes, so an idle interface
  // would never come back to flush output or write stats. Next() waits in
  // poll() with a timeout of its own instead.
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    return absl::UnavailableError(absl::StrCat(iface, ": cannot set non-blocking mode: ", errbuf));
  }
  src->fd_ = pcap_get_selectable_fd(p);
  src->nanoseconds_ = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  src->linktype_ = DltToLinkType(pcap_datalink(p));
  if (!bpf.empty()) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf.c_str(), /*optimize=*/1, PCAP_NETMASK_UNKNOWN) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(iface, ": bad BPF filter \"", bpf, "\": ", pcap_geterr(p)));
    }
    const int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return absl::UnavailableError(absl::StrCat(iface, ": cannot install BPF filter \"", bpf,
                                                 "\": ", pcap_geterr(p)));
    }
  }
  return src;
}

absl::StatusOr<bool> LiveSource::Next(PacketView& out) {
  while (!stopped_.load(std::memory_order_relaxed) && !failed_) {
    struct pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(handle_, &hdr, &data);
    if (rc == 1) {
      out.ts_ns = static_cast<int64_t>(hdr->ts.tv_sec) * 1000000000 +
                  static_cast<int64_t>(hdr->ts.tv_usec) * (nanoseconds_ ? 1 : 1000);
      out.linktype = linktype_;
      out.caplen = hdr->caplen;
      out.wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
      out.data = data;
      out.index = ++count_;
      out.offset = 0;
      return true;
    }
    if (rc == 0) {  // nothing ready: wait a while, then look at the flag again
      if (!WaitForPackets()) {
        failed_ = true;
        return absl::UnavailableError(absl::StrCat(iface_, ": capture failed: poll: ", std::strerror(errno)));
      }
      continue;
    }
    if (rc == PCAP_ERROR_BREAK) break;      // Stop() interrupted the read
    failed_ = true;
    return absl::UnavailableError(
        absl::StrCat(iface_, ": capture failed: ", pcap_geterr(handle_)));
  }
  return false;
}

bool LiveSource::WaitForPackets() {
  if (fd_ < 0) {  // no descriptor to wait on (not on Linux): pace the retries
    struct timespec pause = {0, 10'000'000};
    nanosleep(&pause, nullptr);
    Idle();
    return true;
  }
  struct pollfd pfd = {fd_, POLLIN, 0};
  const int n = poll(&pfd, 1, kReadTimeoutMs);
  if (n < 0 && errno != EINTR) return false;
  if (n == 0) Idle();
  return true;
}

void LiveSource::Stop() {
  stopped_.store(true, std::memory_order_relaxed);
  pcap_breakloop(handle_);
}

LiveStats LiveSource::stats() const {
  struct pcap_stat st = {};
  if (pcap_stats(handle_, &st) != 0) return totals_;
  // Unsigned 32-bit differences stay right across one wrap between calls.
  const uint32_t now[3] = {st.ps_recv, st.ps_drop, st.ps_ifdrop};
  uint64_t* totals[3] = {&totals_.received, &totals_.dropped, &totals_.if_dropped};
  for (int i = 0; i < 3; ++i) {
    *totals[i] += static_cast<uint32_t>(now[i] - raw_[i]);
    raw_[i] = now[i];
  }
  return totals_;
}

}  // namespace kagami::capture
