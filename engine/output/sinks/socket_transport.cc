#include "engine/output/sinks/socket_transport.h"

#include <netdb.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kagami::output {
namespace {

// How long one send may block on a peer that does not read.
constexpr int kSendTimeoutSeconds = 5;
// Framed bytes handed to the kernel per stream send.
constexpr size_t kStreamChunk = size_t{256} << 10;

absl::Status SocketError(absl::string_view what, int err) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(err)));
}

void SetSendTimeout(int fd) {
  timeval tv{};
  tv.tv_sec = kSendTimeoutSeconds;
  // Linux applies the send timeout to connect() as well.
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

absl::Status SocketTransport::Connect() {
  if (fd_ >= 0) return absl::OkStatus();
  if (!peer_.path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (peer_.path.size() >= sizeof addr.sun_path) {
      return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", peer_.path));
    }
    std::memcpy(addr.sun_path, peer_.path.data(), peer_.path.size());
    fd_ = ::socket(AF_UNIX, peer_.type | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return SocketError("socket", errno);
    SetSendTimeout(fd_);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      Disconnect();
      return SocketError(absl::StrCat("cannot connect to ", peer_.path), err);
    }
    return absl::OkStatus();
  }
  addrinfo hints{};
  hints.ai_socktype = peer_.type;
  addrinfo* found = nullptr;
  const std::string port = absl::StrCat(peer_.port);
  if (int rc = ::getaddrinfo(peer_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", peer_.host, ": ", gai_strerror(rc)));
  }
  int err = ECONNREFUSED;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) {
      err = errno;
      continue;
    }
    SetSendTimeout(fd_);
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
    err = errno;
    Disconnect();
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return SocketError(absl::StrCat("cannot connect to ", peer_.host, ":", peer_.port), err);
  return absl::OkStatus();
}

void SocketTransport::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SocketTransport::Frame(std::string_view record, std::string& out) const {
  switch (framing_) {
    case Framing::kJsonLines:
      out.append(record);
      return;
    case Framing::kJsonDatagram:
      out.append(record.substr(0, record.size() - 1));
      return;
    case Framing::kSyslogDatagram:
      syslog_->Append(record, out);
      return;
    case Framing::kSyslogOctetCounted: {
      // The length is known once the message is made: insert it in front.
      const size_t start = out.size();
      syslog_->Append(record, out);
      const std::string length = absl::StrCat(out.size() - start, " ");
      out.insert(start, length);
      return;
    }
  }
}

DeliverResult SocketTransport::Deliver(std::string_view records) {
  return peer_.type == SOCK_DGRAM ? DeliverDatagrams(records) : DeliverStream(records);
}

DeliverResult SocketTransport::DeliverDatagrams(std::string_view records) {
  DeliverResult r;
  while (r.bytes < records.size()) {
    const size_t end = records.find('\n', r.bytes);
    const std::string_view record = records.substr(r.bytes, end - r.bytes + 1);
    buffer_.clear();
    Frame(record, buffer_);
    ssize_t n;
    int refused = 0;
    do {
      n = ::send(fd_, buffer_.data(), buffer_.size(), MSG_NOSIGNAL);
      // Over UDP, ECONNREFUSED reports an ICMP error about an earlier
      // datagram (nobody listened then); this one was not sent, and the
      // error is cleared once reported: send it again. UDP syslog is fire
      // and forget, as for every syslog client.
    } while (n < 0 && (errno == EINTR || (errno == ECONNREFUSED && peer_.path.empty() && ++refused <= 2)));
    if (n < 0) {
      if (errno == EMSGSIZE) {
        // Larger than the peer's datagrams can be: no retry will help.
        ++r.rejected;
        r.bytes += record.size();
        continue;
      }
      r.status = SocketError(absl::StrCat("cannot send to ", describe_), errno == EAGAIN ? ETIMEDOUT : errno);
      return r;
    }
    r.bytes += record.size();
  }
  return r;
}

absl::Status SocketTransport::PeerGone() {
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return absl::OkStatus();
  if (p.revents & POLLIN) {
    // Syslog and JSON-line peers send nothing; read whatever it is, and
    // see whether the stream has ended.
    char sink[512];
    const ssize_t n = ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) return absl::OkStatus();
    if (n == 0) return absl::UnavailableError(absl::StrCat(describe_, ": the peer closed the connection"));
    if (errno == EAGAIN || errno == EINTR) return absl::OkStatus();
    return SocketError(describe_, errno);
  }
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
    return absl::UnavailableError(absl::StrCat(describe_, ": the peer closed the connection"));
  }
  return absl::OkStatus();
}

DeliverResult SocketTransport::DeliverStream(std::string_view records) {
  DeliverResult r;
  if (absl::Status s = PeerGone(); !s.ok()) {
    r.status = s;
    return r;
  }
  while (r.bytes < records.size()) {
    // Frame a chunk of whole records, remembering where each one ends.
    buffer_.clear();
    record_ends_.clear();
    frame_ends_.clear();
    size_t pos = r.bytes;
    while (pos < records.size() && buffer_.size() < kStreamChunk) {
      const size_t end = records.find('\n', pos) + 1;
      Frame(records.substr(pos, end - pos), buffer_);
      record_ends_.push_back(end);
      frame_ends_.push_back(buffer_.size());
      pos = end;
    }
    size_t sent = 0;
    while (sent < buffer_.size()) {
      const ssize_t n = ::send(fd_, buffer_.data() + sent, buffer_.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno == EAGAIN ? ETIMEDOUT : errno;
        // Whole messages that went out count as delivered; a torn one is
        // sent again, whole, on the next connection.
        for (size_t i = 0; i < frame_ends_.size() && frame_ends_[i] <= sent; ++i) r.bytes = record_ends_[i];
        r.status = SocketError(absl::StrCat("cannot send to ", describe_), err);
        return r;
      }
      sent += static_cast<size_t>(n);
    }
    r.bytes = pos;
  }
  return r;
}

absl::StatusOr<std::unique_ptr<Transport>> MakeSocketTransport(OutputSpec& spec) {
  const bool syslog = spec.scheme.starts_with("syslog");
  std::optional<SyslogFormatter> formatter;
  if (syslog) {
    uint8_t facility = 21;  // local5, Suricata's default
    if (const OutputParam* p = TakeParam(spec, "facility")) {
      const std::optional<uint8_t> f = SyslogFacilityNamed(p->value);
      if (!f) return ParamError(spec, *p, "facility: expected kern, user, daemon, auth, ..., local0 to local7");
      facility = *f;
    }
    std::string hostname;
    if (const OutputParam* p = TakeParam(spec, "hostname")) {
      hostname = p->value;
    } else {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      hostname = host;
    }
    std::string app = "kagami";
    if (const OutputParam* p = TakeParam(spec, "app")) app = p->value;
    formatter.emplace(facility, hostname, app);
  }
  if (absl::Status s = CheckAllParamsUsed(spec, syslog ? "facility, hostname, app" : ""); !s.ok()) return s;
  auto need = [&spec](bool ok, absl::string_view form) -> absl::Status {
    if (ok) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("output '", spec.url, "': expected ", form));
  };
  SocketTransport::Peer peer;
  SocketTransport::Framing framing = SocketTransport::Framing::kJsonLines;
  std::string describe;
  if (spec.scheme == "unix-dgram" || spec.scheme == "unix-stream") {
    if (absl::Status s = need(!spec.path.empty(), absl::StrCat(spec.scheme, ":PATH")); !s.ok()) return s;
    peer.path = spec.path;
    peer.type = spec.scheme == "unix-dgram" ? SOCK_DGRAM : SOCK_STREAM;
    framing = peer.type == SOCK_DGRAM ? SocketTransport::Framing::kJsonDatagram : SocketTransport::Framing::kJsonLines;
    describe = absl::StrCat(spec.scheme, " ", spec.path);
  } else if (spec.scheme == "syslog") {
    if (absl::Status s = need(spec.host.empty(), "syslog: or syslog:PATH (a local socket)"); !s.ok()) return s;
    peer.path = spec.path.empty() ? "/dev/log" : spec.path;
    peer.type = SOCK_DGRAM;
    framing = SocketTransport::Framing::kSyslogDatagram;
    describe = absl::StrCat("syslog ", peer.path);
  } else {
    if (absl::Status s = need(!spec.host.empty() && spec.port != 0, absl::StrCat(spec.scheme, "://HOST:PORT"));
        !s.ok()) {
      return s;
    }
    peer.host = spec.host;
    peer.port = spec.port;
    const bool tcp = spec.scheme == "syslog+tcp";
    peer.type = tcp ? SOCK_STREAM : SOCK_DGRAM;
    framing = tcp ? SocketTransport::Framing::kSyslogOctetCounted : SocketTransport::Framing::kSyslogDatagram;
    describe = absl::StrCat(spec.scheme, " ", spec.host, ":", spec.port);
  }
  return std::unique_ptr<Transport>(new SocketTransport(describe, peer, framing, std::move(formatter)));
}

}  // namespace kagami::output
