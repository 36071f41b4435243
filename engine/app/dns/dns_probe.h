#pragma once
// Protocol detection by shape: is this the start of DNS?
//
// A message looks like DNS when its opcode is assigned (QUERY, IQUERY,
// STATUS, NOTIFY, UPDATE), it has at least one question, the counts fit in
// the message (each question takes at least 5 bytes, each record 11), a
// standard query carries no answer or authority records, and the first
// question parses (a name without pointers, a non-zero type, a known class).
// The direction does not change the verdict: a response seen towards the
// server is still DNS (the flow's idea of the client may be wrong).

#include <cstddef>
#include <cstdint>

namespace kagami::app::dns {

enum class Probe : uint8_t { kYes, kNo, kNeedMore };

// One UDP payload: whole by definition, so never kNeedMore.
Probe ProbeUdp(const uint8_t* data, size_t len, bool to_server);
// The first bytes of a TCP stream direction (length prefix included):
// kNeedMore until the prefix, the header and the first question are there.
Probe ProbeTcp(const uint8_t* data, size_t len, bool to_server);

}  // namespace kagami::app::dns
