#pragma once
// Benign sessions: the background a capture's C2 hides in. HTTP/1.1 browsing
// (keep-alive connections of several requests, modern browser and tool
// User-Agents, bodies sized by Content-Length or chunked, some gzip), DNS
// over UDP and TCP (A, AAAA, CNAME, MX, TXT with compressed names) and TLS
// (a full ClientHello with SNI, then a 1.3 or resumed 1.2 handshake and
// encrypted records). Nothing here looks like the C2 in c2_families.cc: no
// legacy IE User-Agents, no `.php?` check-in URIs, no odd Content-Type
// headers, so the detection pack stays silent on it.

#include <cstdint>
#include <string>
#include <string_view>

#include "tools/gen/rng.h"
#include "tools/gen/session.h"

namespace kagami::gen {

// Relative weights of the benign protocols (need not sum to 100).
struct TrafficMix {
  uint32_t http = 50, dns = 30, tls = 20;
  uint32_t total() const { return http + dns + tls; }
};

// A host inside HOME_NET (10.0.0.0/8), or an IPv6 ULA host.
std::string ClientAddress(Rng& rng, bool v6);
// A routable-looking address outside every private, shared, reserved and
// documentation range.
std::string PublicAddress(Rng& rng, bool v6);
// The public address a host name resolves to, the same for the same name.
std::string SiteAddress(std::string_view host, bool v6);
// An ephemeral client port.
uint16_t EphemeralPort(Rng& rng);
// A TLS record holding a browser-shaped ClientHello that names `sni`.
std::string TlsClientHello(Rng& rng, std::string_view sni);

class BenignTraffic {
 public:
  // `ipv6_fraction`: share of sessions over IPv6 (0..1).
  BenignTraffic(const TrafficMix& mix, double ipv6_fraction);

  // One session of a protocol drawn from the mix. `now_ns`: about when it
  // starts (for HTTP Date headers). `budget`: about how many bytes the
  // capture may still grow by; bodies are kept under it so a small target
  // size is not overshot by one large download.
  Session Next(Rng& rng, int64_t now_ns, uint64_t budget = UINT64_MAX);

  Session Http(Rng& rng, int64_t now_ns, bool v6);
  Session Dns(Rng& rng, bool v6, bool tcp);
  Session Tls(Rng& rng, bool v6);

 private:
  // `n` bytes of a text corpus (`kind` 0: HTML prose, 1: script, 2: style)
  // from a random place, appended to `out`.
  void AppendText(Rng& rng, int kind, size_t n, std::string& out) const;

  TrafficMix mix_;
  double ipv6_fraction_;
  uint64_t body_cap_ = UINT64_MAX;  // largest body or TLS response (from the budget)
  std::string corpus_[3];
};

}  // namespace kagami::gen
