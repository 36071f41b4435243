#include "common/community_id.h"

#include <openssl/evp.h>

#include <cstring>
#include <utility>

namespace kagami {
namespace {

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kSctp = 132;

constexpr size_t kSha1Size = 20;

// The counterpart of a request/reply ICMP type, or -1 when the type has none
// (pycommunityid's icmp.py / icmp6.py, after Zeek's ICMP4_counterpart and
// ICMP6_counterpart).
int IcmpCounterpart(uint8_t type) {
  switch (type) {
    case 8: return 0;     // echo -> echo reply
    case 0: return 8;
    case 13: return 14;   // timestamp
    case 14: return 13;
    case 15: return 16;   // information
    case 16: return 15;
    case 10: return 9;    // router solicitation -> advertisement
    case 9: return 10;
    case 17: return 18;   // address mask
    case 18: return 17;
    default: return -1;
  }
}

int Icmpv6Counterpart(uint8_t type) {
  switch (type) {
    case 128: return 129;  // echo request -> reply
    case 129: return 128;
    case 130: return 131;  // MLD listener query -> report
    case 131: return 130;
    case 133: return 134;  // router solicitation -> advertisement
    case 134: return 133;
    case 135: return 136;  // neighbor solicitation -> advertisement
    case 136: return 135;
    case 139: return 140;  // node information (who-are-you) query -> reply
    case 140: return 139;
    case 144: return 145;  // home agent address discovery request -> reply
    case 145: return 144;
    default: return -1;
  }
}

// SHA-1 through OpenSSL's EVP interface. The algorithm is fetched once per
// process and each thread keeps one digest context, so a call costs no fetch
// (the one-shot SHA1() fetches and makes a context each time: 3 allocations
// on OpenSSL 3.0). Re-initialising still makes OpenSSL 3.0 free and
// allocate the provider's SHA state once per call; later releases keep it
// for the same algorithm. Falls back to the one-shot EVP_Digest if either
// could not be set up.
struct ThreadDigest {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadDigest() { EVP_MD_CTX_free(ctx); }
};

bool Sha1(const uint8_t* data, size_t len, uint8_t out[kSha1Size]) {
  // Never freed: it lives as long as the process and stays reachable.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local ThreadDigest digest;
  unsigned int n = 0;
  if (sha1 != nullptr && digest.ctx != nullptr) {
    if (EVP_DigestInit_ex2(digest.ctx, sha1, nullptr) == 1 &&
        EVP_DigestUpdate(digest.ctx, data, len) == 1 &&
        EVP_DigestFinal_ex(digest.ctx, out, &n) == 1) {
      return n == kSha1Size;
    }
  }
  return EVP_Digest(data, len, out, &n, EVP_sha1(), nullptr) == 1 && n == kSha1Size;
}

// Standard base64 (RFC 4648, with '=' padding); returns the length written.
size_t Base64(const uint8_t* in, size_t len, char* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 0x3F];
    out[o++] = kAlphabet[(v >> 12) & 0x3F];
    out[o++] = kAlphabet[(v >> 6) & 0x3F];
    out[o++] = kAlphabet[v & 0x3F];
  }
  const size_t rest = len - i;
  if (rest != 0) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
    out[o++] = kAlphabet[(v >> 18) & 0x3F];
    out[o++] = kAlphabet[(v >> 12) & 0x3F];
    out[o++] = rest == 2 ? kAlphabet[(v >> 6) & 0x3F] : '=';
    out[o++] = '=';
  }
  return o;
}

}  // namespace

CommunityIdIcmpPorts CommunityIdIcmpPortEquivalents(bool is_v6, uint8_t type, uint8_t code) {
  const int counterpart = is_v6 ? Icmpv6Counterpart(type) : IcmpCounterpart(type);
  if (counterpart < 0) return {type, code, true};
  return {type, static_cast<uint16_t>(counterpart), false};
}

size_t CommunityId(const CommunityIdInput& in, uint16_t seed, char out[kCommunityIdBufferSize]) {
  out[0] = '\0';
  const bool icmp = in.proto == kIcmp || in.proto == kIcmpv6;
  const bool ported = icmp || in.proto == kTcp || in.proto == kUdp || in.proto == kSctp;
  if (ported && !in.has_l4) return 0;

  uint16_t sport = in.src_port;
  uint16_t dport = in.dst_port;
  bool one_way = false;
  if (icmp) {
    const CommunityIdIcmpPorts p =
        CommunityIdIcmpPortEquivalents(in.proto == kIcmpv6, in.icmp_type, in.icmp_code);
    sport = p.src_port;
    dport = p.dst_port;
    one_way = p.one_way;
  }

  const size_t alen = in.is_ipv6 ? 16 : 4;
  const uint8_t* saddr = in.src.bytes().data() + (16 - alen);
  const uint8_t* daddr = in.dst.bytes().data() + (16 - alen);
  // Smaller address first; equal addresses: smaller port first. Port-less
  // protocols compare addresses only.
  if (!one_way) {
    const int c = std::memcmp(saddr, daddr, alen);
    if (c > 0 || (c == 0 && ported && sport > dport)) {
      std::swap(saddr, daddr);
      std::swap(sport, dport);
    }
  }

  // seed(2) addr(4|16) addr(4|16) proto(1) pad(1) [port(2) port(2)]: at most 40.
  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  buf[n++] = static_cast<uint8_t>(seed >> 8);
  buf[n++] = static_cast<uint8_t>(seed);
  std::memcpy(buf + n, saddr, alen);
  n += alen;
  std::memcpy(buf + n, daddr, alen);
  n += alen;
  buf[n++] = in.proto;
  buf[n++] = 0;
  if (ported) {
    buf[n++] = static_cast<uint8_t>(sport >> 8);
    buf[n++] = static_cast<uint8_t>(sport);
    buf[n++] = static_cast<uint8_t>(dport >> 8);
    buf[n++] = static_cast<uint8_t>(dport);
  }

  uint8_t digest[kSha1Size];
  if (!Sha1(buf, n, digest)) return 0;
  out[0] = '1';
  out[1] = ':';
  const size_t len = 2 + Base64(digest, sizeof(digest), out + 2);
  out[len] = '\0';
  return len;
}

}  // namespace kagami
