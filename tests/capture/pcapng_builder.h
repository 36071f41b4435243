#pragma once
// Hand-assembles pcapng blocks for reader tests, including the block kinds and
// options MakePcapng does not write (several sections, either byte order,
// if_tsresol, simple and obsolete packet blocks, arbitrary block types).

#include <cstdint>
#include <string>
#include <vector>

namespace kagami::testing {

using PcapngBytes = std::vector<uint8_t>;

class PcapngBuilder {
 public:
  // Starts a new section in the given byte order.
  PcapngBuilder& Section(bool big_endian = false) {
    big_ = big_endian;
    std::string body;
    Put(body, 0x1a2b3c4d, 4);
    Put(body, 1, 2);
    Put(body, 0, 2);
    Put(body, 0xffffffff, 4);
    Put(body, 0xffffffff, 4);
    return Block(0x0a0d0d0a, body);
  }

  // An option's encoding (code, length, value padded to 4).
  std::string Option(uint16_t code, const PcapngBytes& value) const {
    std::string o;
    Put(o, code, 2);
    Put(o, value.size(), 2);
    o.append(value.begin(), value.end());
    o.append((4 - value.size() % 4) % 4, '\0');
    return o;
  }
  std::string Int64Option(uint16_t code, int64_t v) const {
    std::string value;
    Put(value, static_cast<uint64_t>(v), 8);
    return Option(code, PcapngBytes(value.begin(), value.end()));
  }

  PcapngBuilder& Interface(uint16_t linktype, uint32_t snaplen = 262144,
                           const std::string& options = "") {
    std::string body;
    Put(body, linktype, 2);
    Put(body, 0, 2);
    Put(body, snaplen, 4);
    body += options;
    if (!options.empty()) body += Option(0, {});
    return Block(1, body);
  }

  PcapngBuilder& Epb(uint32_t id, uint64_t ts, const PcapngBytes& data, uint32_t wirelen = 0) {
    std::string body;
    Put(body, id, 4);
    PacketFields(body, ts, data, wirelen);
    return Block(6, body);
  }

  PcapngBuilder& Opb(uint16_t id, uint64_t ts, const PcapngBytes& data) {
    std::string body;
    Put(body, id, 2);
    Put(body, 0, 2);  // drops
    PacketFields(body, ts, data, 0);
    return Block(2, body);
  }

  PcapngBuilder& Spb(uint32_t wirelen, const PcapngBytes& data) {
    std::string body;
    Put(body, wirelen, 4);
    body.append(data.begin(), data.end());
    return Block(3, body);
  }

  // Any block: type, body (padded here), matching trailing length.
  PcapngBuilder& Block(uint32_t type, std::string body) {
    body.append((4 - body.size() % 4) % 4, '\0');
    const uint32_t len = static_cast<uint32_t>(body.size() + 12);
    Put(s_, type, 4);
    Put(s_, len, 4);
    s_ += body;
    Put(s_, len, 4);
    return *this;
  }

  size_t size() const { return s_.size(); }
  const std::string& str() const { return s_; }

 private:
  void PacketFields(std::string& body, uint64_t ts, const PcapngBytes& data, uint32_t wirelen) const {
    Put(body, ts >> 32, 4);
    Put(body, ts & 0xffffffff, 4);
    Put(body, data.size(), 4);
    Put(body, wirelen != 0 ? wirelen : data.size(), 4);
    body.append(data.begin(), data.end());
  }
  void Put(std::string& s, uint64_t v, int n) const {
    for (int i = 0; i < n; ++i) {
      const int shift = big_ ? (n - 1 - i) * 8 : i * 8;
      s.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }

  bool big_ = false;
  std::string s_;
};

}  // namespace kagami::testing
